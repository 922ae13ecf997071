# The operator HTTP server (host/daemon/http.c, http_session.c): buffer path and loopback sockets.
# http_parser has no pkg-config file in Debian; the lead links it into
# gordon_core too, and linking it here again is harmless.
find_library(GD_HTTP_PARSER_LIB http_parser REQUIRED)
gd_add_unit(test_http tests/test_http.c)
target_link_libraries(test_http PRIVATE ${GD_HTTP_PARSER_LIB})
set_tests_properties(test_http PROPERTIES TIMEOUT 120)
