# Issue 14: the Binance executor (host/venue). `ctest -R venue` runs these.
gd_add_unit(venue_sign tests/test_venue_sign.c)
gd_add_unit(venue_rest_client tests/test_venue_rest.c)
gd_add_unit(venue_ledger tests/test_venue_ledger.c)
add_test(NAME venue_check
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_venue_check.sh $<TARGET_FILE:gordon> $<TARGET_FILE:gordon-venue>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(venue_check PROPERTIES TIMEOUT 120)

# gordon-venue (tests/venue/): a loopback Binance USD-M futures REST venue
# for the executor's end-to-end tests (issue 14). `ctest -R venue` runs its
# own tests. It links gordon_core only for the libraries the daemon already
# links (libuv, http-parser, cJSON, libcrypto).
# The user-data websocket (ws.c) and its probe use libwebsockets (Debian's
# libwebsockets-dev, with libwebsockets-evlib-uv for the shared libuv loop);
# only these two link it, and only when tests are built.
add_executable(gordon-venue
  ${CMAKE_CURRENT_LIST_DIR}/venue/main.c ${CMAKE_CURRENT_LIST_DIR}/venue/rest.c
  ${CMAKE_CURRENT_LIST_DIR}/venue/trade.c ${CMAKE_CURRENT_LIST_DIR}/venue/state.c
  ${CMAKE_CURRENT_LIST_DIR}/venue/control.c ${CMAKE_CURRENT_LIST_DIR}/venue/ws.c
  ${CMAKE_CURRENT_LIST_DIR}/venue/market.c)
target_link_libraries(gordon-venue PRIVATE gordon_core PkgConfig::LWS)
set_target_properties(gordon-venue PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_executable(gordon-venue-wsprobe ${CMAKE_CURRENT_LIST_DIR}/venue/wsprobe.c)
target_link_libraries(gordon-venue-wsprobe PRIVATE PkgConfig::LWS)
set_target_properties(gordon-venue-wsprobe PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME venue_rest COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_venue_rest.sh $<TARGET_FILE:gordon-venue>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(venue_rest PROPERTIES TIMEOUT 120)
# The venue executor end to end: the daemon in testnet mode against
# gordon-venue, every order fault, start-up refusals.
add_test(NAME venue_exec
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_venue_exec.sh $<TARGET_FILE:gordon> $<TARGET_FILE:gordon-venue>
                 ${CMAKE_BINARY_DIR}/tests/plugins)
set_tests_properties(venue_exec PROPERTIES TIMEOUT 300)
add_test(NAME venue_ws COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_venue_ws.sh $<TARGET_FILE:gordon-venue>
         $<TARGET_FILE:gordon-venue-wsprobe>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(venue_ws PROPERTIES TIMEOUT 90)
