# Issue 12: a worker that sends garbage on its socket (no header, an unknown
# type, a log flood, an oversized datagram, a malformed emit) is killed,
# counted and quarantined; the rest of the run is untouched.
add_library(gd_iso_proto MODULE ${CMAKE_CURRENT_LIST_DIR}/plugins/isoproto/iso_proto.c)
target_link_libraries(gd_iso_proto PRIVATE gordon_sdk)
set_target_properties(gd_iso_proto PROPERTIES PREFIX "" OUTPUT_NAME iso_proto C_VISIBILITY_PRESET hidden
                      LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/isoproto)
add_test(NAME isolation_protocol
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_isolation_protocol.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 $<TARGET_FILE:gd_iso_proto>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(isolation_protocol PROPERTIES TIMEOUT 300)
