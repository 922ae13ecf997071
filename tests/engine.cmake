# The engine with real plugins: hostile signals end to end, setup errors.
gd_add_unit(test_engine tests/test_engine.c)
add_dependencies(test_engine connectivity ema_cross gd_test_plugin_warmup_param gd_test_plugin_hostile_strategy gd_test_plugin_trip_breaker gd_test_plugin_always_long
                 ema_cross trend_filter drawdown)

# Two builds of one reload probe, differing in behaviour (tests/e2e_reload.sh).
foreach(v 1 2)
  add_library(gd_test_plugin_probe_v${v} MODULE ${CMAKE_SOURCE_DIR}/tests/plugins/variants/probe.c)
  target_link_libraries(gd_test_plugin_probe_v${v} PRIVATE gordon_sdk)
  target_compile_definitions(gd_test_plugin_probe_v${v} PRIVATE PROBE_VERSION=${v})
  set_target_properties(gd_test_plugin_probe_v${v} PROPERTIES PREFIX "" OUTPUT_NAME probe_v${v}
                        C_VISIBILITY_PRESET hidden LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/plugins)
  target_link_options(gd_test_plugin_probe_v${v} PRIVATE -Wl,-z,defs)
endforeach()

# The bar history's read-only view (engine/ring.c).
gd_add_unit(test_ring tests/test_ring.c)

# The run summary's counts after an emergency flatten (daemon/views.c).
gd_add_unit(test_flatten_summary tests/test_flatten_summary.c)
gd_add_unit(test_trades tests/test_trades.c)
add_dependencies(test_flatten_summary gd_test_plugin_always_long)
