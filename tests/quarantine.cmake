# Per-strategy quarantine (issue 16): `ctest -R quarantine`.
gd_add_unit(test_quarantine tests/test_quarantine.c)
add_test(NAME quarantine
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_quarantine.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(quarantine PROPERTIES TIMEOUT 180)
