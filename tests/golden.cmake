# The demo's summary, intent log and ablation outputs against recorded digests
# (tests/golden/demo.sha256): refactors must not move a single trade.
add_test(NAME demo_golden
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/golden.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(demo_golden PROPERTIES TIMEOUT 300)
