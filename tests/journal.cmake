# The journal (host/db/journal.c): the write-ahead log under state_dir that
# every record passes through before PostgreSQL. `ctest -R journal`.
gd_add_unit(test_journal tests/test_journal.c)
