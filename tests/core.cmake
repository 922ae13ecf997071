# Risk pipeline, rounding, book and simulated execution.
gd_add_unit(test_pipeline tests/test_pipeline.c)
gd_add_unit(test_simexec tests/test_simexec.c)
gd_add_unit(test_intentlog tests/test_intentlog.c)
