-- The same two checks, written so the server evaluates them in a fraction
-- of the time (issue 13). Every intent and every order row runs one; a
-- bounded repetition such as {1,36} makes the server's regular-expression
-- engine build an automaton with a state per repetition, ~3 us a row for
-- the client order id and ~1.2 us for the source, measured on a million
-- rows. A length bound and a search for one character outside the set
-- refuse exactly the same strings (every allowed character is one byte,
-- so the length in bytes is the length in characters): ~0.3 us each.
-- Adding a check reads the table once to validate it: on a large record,
-- run this while the host is stopped. The constraints keep their names.

ALTER TABLE trading.intents
    DROP CONSTRAINT intents_source_check,
    ADD CONSTRAINT intents_source_check
        CHECK (octet_length(source) = 16 AND source !~ '[^0-9a-f]');
ALTER TABLE trading.orders
    DROP CONSTRAINT orders_client_id_check,
    ADD CONSTRAINT orders_client_id_check
        CHECK (octet_length(client_id) BETWEEN 1 AND 36 AND client_id !~ '[^.A-Z:/a-z0-9_-]');
