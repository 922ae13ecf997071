# Transactional reload at the engine level (host/engine/gen.c); the daemon's
# SIGHUP path is e2e_reload.
gd_add_unit(test_reload ${CMAKE_CURRENT_LIST_DIR}/test_reload.c)
add_dependencies(test_reload ema_cross gd_test_plugin_always_long gd_test_plugin_create_fails
                 gd_test_plugin_good_strategy
                 gd_test_plugin_dup_name_a gd_test_plugin_dup_name_b)
