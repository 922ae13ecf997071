# Hostile plugins: descriptors refused at load, and attacks at run time.
# Issue 11, item 4: hostile plugin descriptors (tests/plugins/hostile_*.c,
# built by loader.cmake) are refused with a message and exit 1 by `gordon
# plugin check` and by the daemon's loader, never a crash.
add_test(NAME e2e_hostile_descriptors
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_hostile_descriptors.sh $<TARGET_FILE:gordon>
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_hostile_descriptors PROPERTIES TIMEOUT 120)
# Issue 11: hostile plugins at run time (writes into the host, stale and
# forged handles, bar smashing, log injection, floods, entry lies, const
# casts), with the real binary and a daemon.
add_test(NAME e2e_hostile_plugins
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_hostile_plugins.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_hostile_plugins PROPERTIES TIMEOUT 300)
