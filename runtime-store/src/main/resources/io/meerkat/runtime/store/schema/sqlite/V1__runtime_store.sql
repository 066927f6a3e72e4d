-- Sessions, their inputs, the receipts of their runs' boundaries and the outcomes of finished inputs.
-- Ids are time-ordered UUIDs (16 bytes), so new rows land at the right end of every B-tree.
-- Columns hold what is queried; the rest is JSON text written by StoreCodec.

CREATE TABLE sessions (
    session_id    BLOB NOT NULL PRIMARY KEY,
    executor_kind TEXT,
    state         TEXT NOT NULL,
    session_json  TEXT NOT NULL
);

CREATE TABLE inputs (
    input_id        BLOB   NOT NULL PRIMARY KEY,
    session_id      BLOB   NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    state           TEXT   NOT NULL,
    lane            TEXT,
    idempotency_key TEXT,
    finished_at     BIGINT,
    staged_run      BLOB,
    input_json      TEXT,
    status_json     TEXT   NOT NULL,
    UNIQUE (session_id, seq)
);

CREATE INDEX inputs_by_idempotency_key ON inputs (session_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX inputs_by_finish ON inputs (finished_at) WHERE finished_at IS NOT NULL;

CREATE INDEX inputs_by_staged_run ON inputs (session_id, staged_run) WHERE staged_run IS NOT NULL;

CREATE TABLE receipts (
    session_id   BLOB   NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    run_id       BLOB   NOT NULL,
    seq          BIGINT NOT NULL,
    receipt_json TEXT   NOT NULL,
    PRIMARY KEY (session_id, run_id)
);

CREATE TABLE outcomes (
    input_id     BLOB NOT NULL PRIMARY KEY REFERENCES inputs (input_id) ON DELETE CASCADE,
    session_id   BLOB NOT NULL,
    outcome_json TEXT NOT NULL
);
