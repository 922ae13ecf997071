# Replay: CSV bar loading and the merged tape (host/data/replay.c).
# CMAKE_CURRENT_LIST_DIR: relative sources would resolve against tests/ and
# give tests/tests/test_replay.c.
gd_add_unit(test_replay ${CMAKE_CURRENT_LIST_DIR}/test_replay.c)
gd_add_unit(test_store ${CMAKE_CURRENT_LIST_DIR}/test_store.c)
