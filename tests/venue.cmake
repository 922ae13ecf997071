# Issue 14: the Binance executor (host/venue). `ctest -R venue` runs these.
gd_add_unit(venue_sign tests/test_venue_sign.c)
gd_add_unit(venue_rest_client tests/test_venue_rest.c)
