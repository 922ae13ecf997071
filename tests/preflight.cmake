# The pre-live checklist (issue 16): `ctest -R preflight`.
add_test(NAME preflight
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_preflight.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(preflight PROPERTIES TIMEOUT 240)
