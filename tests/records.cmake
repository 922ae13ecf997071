# Every record valid JSON and UTF-8 whatever bytes plugins and operators send.
add_test(NAME e2e_records_utf8
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_records.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_records_utf8 PROPERTIES TIMEOUT 120)
