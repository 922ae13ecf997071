# End-to-end tests of the real binary.
add_test(NAME e2e_cli
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_cli.sh $<TARGET_FILE:gordon>
                 ${GD_PLUGIN_OUTPUT_DIR} ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME e2e_ablate
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_ablate.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_ablate PROPERTIES TIMEOUT 600)
add_test(NAME e2e_risk
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_risk.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_risk PROPERTIES TIMEOUT 300)
add_test(NAME check_prometheus COMMAND bash ${CMAKE_SOURCE_DIR}/tests/check_prometheus.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(check_prometheus PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME e2e_macro
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_macro.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_macro PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
# Every parser under libFuzzer for a short, bounded time with its committed
# corpus (clang; tests/fuzz/README.md): a regression shows at once, a long
# run is `make fuzz FUZZ_SECONDS=3600`. 15 s each keeps the label near 3 min.
foreach(t http config fred csv wire journal state jscan ledger market rules venue console store shard api)
  add_test(NAME fuzz_${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh ${t}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(fuzz_${t} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "FUZZ_SECONDS=15"
                       LABELS fuzz)
endforeach()
add_test(NAME e2e_reload
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_reload.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_reload PROPERTIES TIMEOUT 400)
add_test(NAME e2e_sdk_install
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_sdk_install.sh ${CMAKE_BINARY_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME e2e_check_paths
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_check_paths.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME e2e_signal_exit_sigterm
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_signal_exit.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME e2e_ablate_failures
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_ablate_failures.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_ablate_failures PROPERTIES TIMEOUT 600)
add_test(NAME e2e_plugin_dirs_stack
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_plugin_dirs_stack.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME e2e_zero_trades
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_zero_trades.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
# README.md's and the template README's plugin-author steps, run as written.
add_test(NAME e2e_readme_walkthrough
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_readme_walkthrough.sh ${CMAKE_BINARY_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_readme_walkthrough PROPERTIES TIMEOUT 120)
add_test(NAME e2e_realtime
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_realtime.sh $<TARGET_FILE:gordon> ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME e2e_trades
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_trades.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME e2e_store
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_store.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
# Issue 18: a portfolio ablation (three symbols, the gross cap and the
# correlation breaker in play, the contribution by symbol), and sharded
# ablation merged byte for byte.
add_test(NAME e2e_ablate_portfolio
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_ablate_portfolio.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_ablate_portfolio PROPERTIES TIMEOUT 600)
add_test(NAME e2e_ablate_shards
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_ablate_shards.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(e2e_ablate_shards PROPERTIES TIMEOUT 600)
