# The audit trail's hash chain through the real binary (issue 12, item 5): a
# tampered trail is found, named by line, and the daemon starts halted.
# Named isolat_* so that `ctest -R isolat` runs it with the other tamper tests.
add_test(NAME isolat_audit_chain
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_audit_chain.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(isolat_audit_chain PROPERTIES TIMEOUT 180)
