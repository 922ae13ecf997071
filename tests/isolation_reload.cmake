# Issue 12: hot reload with every plugin in a sandboxed worker: the new
# generation's workers start and restore from the old ones' snapshots, are
# swapped in, and the old ones stop; refused reloads leave the running
# workers trading (tests/e2e_reload.sh, run with [isolation] plugins = true).
add_test(NAME isolation_reload
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_reload.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(isolation_reload PROPERTIES TIMEOUT 600 ENVIRONMENT "GORDON_ISOLATION_PLUGINS=true")
