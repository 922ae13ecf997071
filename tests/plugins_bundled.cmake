# Bundled plugins (strategies/, plugins/): loaded with dlopen from GD_PLUGIN_DIR
# and driven through a fake host (tests/fake_host.c). Paths are relative to
# this file's directory, since tests/CMakeLists.txt include()s fragments.
gd_add_unit(test_bundled_plugins ${CMAKE_CURRENT_LIST_DIR}/test_bundled_plugins.c
            ${CMAKE_CURRENT_LIST_DIR}/fake_host.c)
add_dependencies(test_bundled_plugins ema_cross donchian_breakout trend_filter volatility_filter
                 session_filter drawdown)
target_link_libraries(test_bundled_plugins PRIVATE ${CMAKE_DL_LIBS} m)
