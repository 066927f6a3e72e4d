-- Several runtimes (nodes) sharing this database (DESIGN §10): who is alive, and who runs each session.
-- Every time is the server's clock (now()): no two nodes' clocks are compared.

CREATE TABLE nodes (
    node_id      text        NOT NULL PRIMARY KEY,
    advertise    text,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    draining     boolean     NOT NULL
);

-- One row per session: its holder (NULL once let go), the epoch of that holding (raised by every claim;
-- every write of the session is fenced by it) and when the holding lapses unless renewed.
CREATE TABLE session_leases (
    session_id uuid        NOT NULL PRIMARY KEY REFERENCES sessions (session_id) ON DELETE CASCADE,
    owner_node text,
    epoch      bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX session_leases_by_owner ON session_leases (owner_node);

CREATE INDEX session_leases_by_expiry ON session_leases (expires_at);

-- Sessions stored by a single runtime before this version: free, for the first node to claim.
INSERT INTO session_leases (session_id, owner_node, epoch, expires_at)
SELECT session_id, NULL, 0, now() FROM sessions;
