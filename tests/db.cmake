# Issue 13: the database. Each test starts its own throwaway PostgreSQL
# cluster (tests/pg_cluster.sh), so `ctest -R db` runs alone.
add_test(NAME db_migrate
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_migrate.sh $<TARGET_FILE:gordon>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_migrate PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)

add_test(NAME db_schema
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_schema.sh $<TARGET_FILE:gordon>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_schema PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)

add_test(NAME db_replay
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_replay.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_replay PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)

add_test(NAME db_outage
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_outage.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_outage PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)

add_test(NAME db_crash
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_crash.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_crash PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)

add_test(NAME db_ablate_record
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_ablate_record.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_ablate_record PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)

add_test(NAME db_backup
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_backup.sh $<TARGET_FILE:gordon>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_backup PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)

# The parts of backup and the drill that need no database: the manifest,
# restic's snapshot list, the child runner, the connection string.
gd_add_unit(db_backup_units tests/test_backup.c)

# A multi-host DSN whose first host is down: the writer goes on to the next.
add_test(NAME db_failover
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_db_failover.sh $<TARGET_FILE:gordon> ${GD_PLUGIN_OUTPUT_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(db_failover PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)
