# Issue 14: the Binance executor (host/venue). `ctest -R venue` runs these.
gd_add_unit(venue_sign tests/test_venue_sign.c)
gd_add_unit(venue_rest_client tests/test_venue_rest.c)
add_test(NAME venue_check
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_venue_check.sh $<TARGET_FILE:gordon>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(venue_check PROPERTIES TIMEOUT 120)
