# FRED client: parser on fixtures, libcurl multi on libuv against tests/fred_server.py (loopback).
gd_add_unit(test_fred tests/test_fred.c)
set_tests_properties(test_fred PROPERTIES TIMEOUT 120)
