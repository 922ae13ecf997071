# Walk-forward ablation: windows, settings, grid, no lookahead, determinism.
gd_add_unit(test_ablate tests/test_ablate.c)
add_dependencies(test_ablate ema_cross trend_filter session_filter volatility_filter)
gd_add_unit(test_shard tests/test_shard.c)
