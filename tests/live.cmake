# gordon-venue's market data side (tests/venue/market.c): klines over REST
# and the market websocket streams, with the market control faults.
add_test(NAME live_venue_market
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_live_market.sh $<TARGET_FILE:gordon-venue>
                 $<TARGET_FILE:gordon-venue-wsprobe>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(live_venue_market PROPERTIES TIMEOUT 120)
