# Nothing half-applied at start: the intent log, a stalled load, limits.
add_test(NAME e2e_start_clean
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_start.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_start_clean PROPERTIES TIMEOUT 120)
