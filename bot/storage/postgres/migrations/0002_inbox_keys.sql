-- the conversations a webhook delivery holds messages of (recorded by its adapter, which
-- parsed it): a worker handling a conversation's message first handles that
-- conversation's older deliveries still in the inbox, a dead worker's included
ALTER TABLE inbox ADD COLUMN keys text[] NOT NULL DEFAULT '{}';
CREATE INDEX inbox_keys ON inbox USING gin (keys);
