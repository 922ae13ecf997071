# The testnet soak on record (issue 16): `ctest -R soak`.
gd_add_unit(test_soak tests/test_soak.c)
add_test(NAME soak
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_soak.sh $<TARGET_FILE:gordon> $<TARGET_FILE:gordon-venue>
                 ${CMAKE_BINARY_DIR}/tests/plugins
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(soak PROPERTIES TIMEOUT 180)
