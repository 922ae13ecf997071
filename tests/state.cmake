# Persisted halt latch and audit trail (host/risk/state.c), operator tokens (host/risk/token.c).
gd_add_unit(test_state tests/test_state.c)
gd_add_unit(test_token tests/test_token.c)
# fdatasync off the loop (host/base/bgsync.c), which the audit trail, the intent log and the venue ledger use.
gd_add_unit(test_bgsync tests/test_bgsync.c)
