-- Live market data (issue 15): the connectivity breaker's risk events. The
-- feed going stale (no bar past its interval and grace, a gap that could not
-- be filled, the stream down) stops new entries until it is current again.
ALTER TABLE trading.risk_events DROP CONSTRAINT risk_events_kind_check;
ALTER TABLE trading.risk_events ADD CONSTRAINT risk_events_kind_check
    CHECK (kind IN ('trip', 'halt', 'resume', 'resume_forced', 'resume_refused', 'flatten', 'quarantine',
                    'release', 'db_breaker', 'db_breaker_clear', 'latch_restored', 'market_stale',
                    'market_current'));
