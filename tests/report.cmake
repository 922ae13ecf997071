# The walk-forward ablation HTML report (host/ablate/report.c).
gd_add_unit(test_report tests/test_report.c)
