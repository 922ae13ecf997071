# The operator API under a connection flood (host/daemon/http.c admission):
# the real daemon against a bounded python slowloris; halts and emergency
# flattens must each succeed within 1 s. It loads both cores for a few
# seconds, so it runs alone: other tests' timers must not feel it.
add_test(NAME e2e_http_flood
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_flood.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_http_flood PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
