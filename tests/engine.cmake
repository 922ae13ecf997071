# The engine with real plugins: hostile signals end to end, setup errors.
gd_add_unit(test_engine tests/test_engine.c)
add_dependencies(test_engine gd_test_plugin_hostile_strategy gd_test_plugin_trip_breaker gd_test_plugin_always_long
                 ema_cross trend_filter drawdown)
