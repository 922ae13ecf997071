# The journal (host/db/journal.c): the write-ahead log under state_dir that
# every record passes through before PostgreSQL. `ctest -R journal`.
gd_add_unit(test_journal tests/test_journal.c)

# `gordon journal DIR [--dump]` on journals written by an independent
# (Python) writer of the documented format: sound, torn, damaged.
add_test(NAME journal_cli
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e_journal_cli.sh $<TARGET_FILE:gordon>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(journal_cli PROPERTIES TIMEOUT 60)
