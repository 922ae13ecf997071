# Issue 12: hot reload with every plugin in a sandboxed worker: the new
# generation's workers start and restore from the old ones' snapshots, are
# swapped in, and the old ones stop; refused reloads leave the running
# workers trading (tests/e2e_reload.sh, run with [isolation] plugins = true).
add_test(NAME isolation_reload
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_reload.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
# The reference run is in-process: a worker the deadline (50 ms) killed on a
# loaded sanitizer build would quarantine its strategy and make the logs
# differ for a reason that is not reload's (isolation_deadline tests that).
set_tests_properties(isolation_reload PROPERTIES TIMEOUT 600
                     ENVIRONMENT "GORDON_ISOLATION_PLUGINS=true;GORDON_ISOLATION_DEADLINE_MS=2000")
