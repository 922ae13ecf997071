# Backtest metrics and the ablation statistics (host/metrics.c).
gd_add_unit(test_metrics tests/test_metrics.c)
