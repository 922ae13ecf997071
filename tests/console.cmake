# gordon-console (issue 17): the daemon's operator page in headless Chromium
# against the loopback venue, and its security from outside: `ctest -R console`.
add_test(NAME console
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_console.sh $<TARGET_FILE:gordon> $<TARGET_FILE:gordon-venue>
                 ${CMAKE_BINARY_DIR}/tests/plugins)
set_tests_properties(console PROPERTIES TIMEOUT 300)
