-- The PostgreSQL store's tables (see bot/storage/postgres/). Applied once, by
-- `python3 main.py db upgrade`, recorded in schema_migrations.

-- one JSON record per conversation key; version counts its writes
CREATE TABLE sessions (
    key         text PRIMARY KEY,
    data        jsonb NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    updated_at  double precision NOT NULL
);
CREATE INDEX sessions_updated_at ON sessions (updated_at);

-- orders: the record as the app wrote it, plus the columns query_orders filters on
-- (text compared byte by byte, COLLATE "C", as the embedded stores compare strings)
CREATE TABLE orders (
    code        text COLLATE "C" PRIMARY KEY,
    record      jsonb NOT NULL,
    version     integer NOT NULL,
    status      text COLLATE "C",
    market      text COLLATE "C",
    created_at  text COLLATE "C" NOT NULL DEFAULT '',
    "user"      text COLLATE "C",
    referral    text COLLATE "C"
);
CREATE INDEX orders_created ON orders (created_at, code);
CREATE INDEX orders_market ON orders (market, created_at);
CREATE INDEX orders_status ON orders (status, created_at);
CREATE INDEX orders_user ON orders ("user", created_at);
CREATE INDEX orders_referral ON orders (referral, created_at) WHERE referral IS NOT NULL;

-- every write of an order: the whole record at version 1, then the changes of each version
CREATE TABLE order_events (
    code        text COLLATE "C" NOT NULL,
    version     integer NOT NULL,
    changes     jsonb NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, version)
);

-- next_sequence: the last number given per name
CREATE TABLE sequences (
    name        text PRIMARY KEY,
    value       bigint NOT NULL
);

-- platform message ids already handled (webhook retries deliver duplicates)
CREATE TABLE messages (
    channel     text NOT NULL,
    message_id  text NOT NULL,
    at          double precision NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX messages_at ON messages (at);

-- webhook deliveries answered 200 and not yet handled (bot/storage/inbox.py's contract);
-- owner: the worker handling them (alive while it holds its presence lock, see inbox.py)
CREATE TABLE inbox (
    number      bigint PRIMARY KEY,
    channel     text NOT NULL,
    arrival     bigserial NOT NULL,
    body        bytea NOT NULL,
    owner       bigint NOT NULL
);
CREATE INDEX inbox_channel ON inbox (channel, arrival);
CREATE SEQUENCE inbox_owners;

-- the outbox: replies written with the change that caused them, sent after commit
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    "to"        text NOT NULL,
    reply       jsonb NOT NULL,
    owner       text NOT NULL,
    lease_until double precision NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    queued_at   double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp()),
    sent_at     double precision,
    error       text
);
CREATE INDEX outbox_unsent ON outbox (lease_until, id) WHERE sent_at IS NULL;

-- durable timers: fired once across all workers
CREATE TABLE timers (
    name        text PRIMARY KEY,
    kind        text NOT NULL,
    due         double precision NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX timers_due ON timers (due);

-- values shared by every worker (the log pseudonym key: one name per user in every log)
CREATE TABLE meta (
    name        text PRIMARY KEY,
    value       text NOT NULL
);
