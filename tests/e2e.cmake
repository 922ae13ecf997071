# End-to-end tests of the real binary.
add_test(NAME e2e_cli
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_cli.sh $<TARGET_FILE:gordon>
                 ${GD_PLUGIN_OUTPUT_DIR} ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
