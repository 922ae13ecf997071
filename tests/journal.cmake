# The journal (host/db/journal.c): the write-ahead log under state_dir that
# every record passes through before PostgreSQL. `ctest -R journal`.
gd_add_unit(test_journal tests/test_journal.c)

# `gordon journal DIR [--dump]` on journals written by an independent
# (Python) writer of the documented format: sound, torn, damaged.
add_test(NAME journal_cli
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_journal_cli.sh $<TARGET_FILE:gordon>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(journal_cli PROPERTIES TIMEOUT 60)

# The queue between the trading loop and the database thread, and records
# formatted there exactly as the loop would have. `ctest -R journal_queue`.
gd_add_unit(test_journal_queue tests/test_journal_queue.c)
