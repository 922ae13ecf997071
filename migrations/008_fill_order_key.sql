-- A fill's order and intent under one key (issue 13). A fill named its order
-- (source, client_id) and its intent (source, intent_id) in two foreign keys,
-- and nothing said the two agree. One key to (source, intent_id, client_id)
-- of orders says both: the order exists, it is this intent's, and the
-- intent exists (the order's own key). One check a fill instead of two: the
-- foreign-key checks were a quarter of the server's time writing fills.
-- orders_intent (source, intent_id) becomes the key's unique index, which
-- serves the same lookups.
ALTER TABLE trading.orders ADD CONSTRAINT orders_intent_client UNIQUE (source, intent_id, client_id);
DROP INDEX trading.orders_intent;
ALTER TABLE trading.fills
    DROP CONSTRAINT fills_source_client_id_fkey,
    DROP CONSTRAINT fills_source_intent_id_fkey,
    ADD CONSTRAINT fills_order_fkey FOREIGN KEY (source, intent_id, client_id)
        REFERENCES trading.orders (source, intent_id, client_id);
