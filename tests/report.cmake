# The walk-forward ablation HTML report (host/ablate/report.c, svg.c), the
# metric formatter and the one ranking of configurations.
gd_add_unit(test_report tests/test_report.c)
