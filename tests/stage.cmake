# Pre-live stages and allocation (issue 16): `ctest -R stage`.
gd_add_unit(test_stage tests/test_stage.c)
add_test(NAME stage_gate
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_stage.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(stage_gate PROPERTIES TIMEOUT 120)
