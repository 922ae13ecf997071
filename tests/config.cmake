# Configuration loading and plugin-parameter binding (host/config/).
# CMAKE_CURRENT_LIST_DIR: relative sources would resolve against tests/.
gd_add_unit(test_config ${CMAKE_CURRENT_LIST_DIR}/test_config.c)
gd_add_unit(test_params ${CMAKE_CURRENT_LIST_DIR}/test_params.c)
# The configuration as JSON for records: sections, values, never a secret.
gd_add_unit(test_config_json ${CMAKE_CURRENT_LIST_DIR}/test_config_json.c)
# The reload line's key list (gd_config_diff) alone: `ctest -R reload`.
add_test(NAME config_reload_diff COMMAND test_config "test_diff*" WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
# "did you mean" for a misspelt plugin parameter alone: `ctest -R did_you_mean`.
add_test(NAME params_did_you_mean COMMAND test_params "*did_you_mean*" WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
