# The kill switch and the record (issue 10 items 1-4) through the real binary:
# full and read-only stores (in a private mount namespace), one daemon per
# state_dir, no implicit state_dir, refused latch files, unique intent ids.
add_test(NAME e2e_durable_state
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_durable.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_durable_state PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
# Invariant 8 for adopted positions: their records durable before the stop.
gd_add_unit(test_adopt_durable tests/test_adopt_durable.c)
add_dependencies(test_adopt_durable gd_test_plugin_always_long)

# The database thread as an order sees it: an entry for a venue leaves once
# its records are on disk; with the journal full it is refused, saying why.
gd_add_unit(test_db_thread tests/test_db_thread.c)
add_dependencies(test_db_thread gd_test_plugin_always_long)
