# gordon-venue's market data side (tests/venue/market.c): klines over REST
# and the market websocket streams, with the market control faults.
add_test(NAME live_venue_market
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_live_market.sh $<TARGET_FILE:gordon-venue>
                 $<TARGET_FILE:gordon-venue-wsprobe>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(live_venue_market PROPERTIES TIMEOUT 120)
# The daemon on live bars (issue 15): [market] source = venue against
# gordon-venue's 1s klines, trading through the venue executor.
add_test(NAME live_trade
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_live_trade.sh $<TARGET_FILE:gordon> $<TARGET_FILE:gordon-venue>
                 ${CMAKE_BINARY_DIR}/tests/plugins)
set_tests_properties(live_trade PROPERTIES TIMEOUT 180)
