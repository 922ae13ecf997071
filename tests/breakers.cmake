# Breaker plugins (plugins/connectivity.c, vpin.c, correlation.c, macro.c):
# loaded with dlopen from GD_PLUGIN_DIR and driven through the fake host.
gd_add_unit(test_breakers tests/test_breakers.c tests/fake_host.c)
add_dependencies(test_breakers connectivity vpin correlation macro)
target_link_libraries(test_breakers PRIVATE ${CMAKE_DL_LIBS} m)
