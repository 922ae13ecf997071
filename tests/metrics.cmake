# Backtest metrics and the ablation statistics (host/ablate/stats.c).
gd_add_unit(test_metrics tests/test_metrics.c)
