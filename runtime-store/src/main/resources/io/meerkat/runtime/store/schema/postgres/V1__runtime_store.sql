-- The schema of schema/sqlite/V1__runtime_store.sql in PostgreSQL's types: the same tables, columns,
-- keys and indexes, so every statement of JdbcRuntimeStore runs on both as written.
-- Ids are uuid (16 bytes, compared bytewise): time-ordered ids land at the right end of every B-tree.
-- JSON stays text written by StoreCodec: round trips are exact and nothing queries inside it.

CREATE TABLE sessions (
    session_id    uuid NOT NULL PRIMARY KEY,
    executor_kind text,
    state         text NOT NULL,
    session_json  text NOT NULL
);

CREATE TABLE inputs (
    input_id        uuid   NOT NULL PRIMARY KEY,
    session_id      uuid   NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    state           text   NOT NULL,
    lane            text,
    idempotency_key text,
    finished_at     bigint,
    staged_run      uuid,
    input_json      text,
    status_json     text   NOT NULL,
    UNIQUE (session_id, seq)
);

CREATE INDEX inputs_by_idempotency_key ON inputs (session_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX inputs_by_finish ON inputs (finished_at) WHERE finished_at IS NOT NULL;

CREATE INDEX inputs_by_staged_run ON inputs (session_id, staged_run) WHERE staged_run IS NOT NULL;

CREATE TABLE receipts (
    session_id   uuid   NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    run_id       uuid   NOT NULL,
    seq          bigint NOT NULL,
    receipt_json text   NOT NULL,
    PRIMARY KEY (session_id, run_id)
);

CREATE TABLE outcomes (
    input_id     uuid NOT NULL PRIMARY KEY REFERENCES inputs (input_id) ON DELETE CASCADE,
    session_id   uuid NOT NULL,
    outcome_json text NOT NULL
);
