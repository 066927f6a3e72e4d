package io.meerkat.runtime.store;

import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.api.spi.StoreVisitor;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link ClusterStore} of the {@code postgres} store: the {@code nodes} and {@code session_leases} tables
 * (schema version 3). Every expiry is computed and compared by the server ({@code now()}), never by a node.
 *
 * <h2>Locks</h2>
 * A claim locks the leases it takes {@code FOR UPDATE SKIP LOCKED}: it never waits, and skips a session a
 * commit is writing. A fenced commit ({@link #lost}) locks its sessions' leases {@code FOR KEY SHARE} for the
 * length of its transaction: that conflicts with a claim's {@code FOR UPDATE} (so a claim cannot slip in
 * between the fence check and the commit's rows) and with nothing else this class takes; a renewal's
 * {@code UPDATE} of the expiry takes {@code FOR NO KEY UPDATE}, which does not conflict with it, so renewals
 * and commits never wait for each other, whatever order they touch rows in (no deadlock). A commit whose
 * fence check waits for a claim that then commits sees the new epoch (the writer runs at
 * {@code READ COMMITTED}, which re-reads the row) and is refused.
 *
 * <p>Renewals, claims and releases run on a connection of their own (not the store's writer: a renewal
 * must not wait behind a large commit, or a busy node would lose its leases), one at a time.
 */
final class PostgresLeases implements ClusterStore {

    private final JdbcRuntimeStore store;
    private final JdbcRuntimeStore.Connections connections;
    private final Duration ttl;
    private final ReentrantLock lock = new ReentrantLock();
    /** Used under {@link #lock} only; {@code null} until first used or after a failure dropped it. */
    private Connection connection;

    PostgresLeases(JdbcRuntimeStore store, JdbcRuntimeStore.Connections connections, Duration ttl) {
        this.store = store;
        this.connections = connections;
        this.ttl = ttl;
    }

    @Override
    public Duration leaseTtl() {
        return ttl;
    }

    /**
     * The fenced sessions that the fences' nodes no longer hold at the fences' epochs; locks the others'
     * leases for the rest of {@code writer}'s transaction (see the class's lock notes).
     */
    static Set<SessionId> lost(Connection writer, Map<SessionId, Fence> fences) throws SQLException {
        int size = fences.size();
        UUID[] ids = new UUID[size];
        Long[] epochs = new Long[size];
        String[] nodes = new String[size];
        int i = 0;
        for (Map.Entry<SessionId, Fence> fence : fences.entrySet()) {
            ids[i] = fence.getKey().value();
            epochs[i] = fence.getValue().epoch();
            nodes[i] = fence.getValue().nodeId();
            i++;
        }
        Set<SessionId> held = new HashSet<>();
        try (PreparedStatement check = writer.prepareStatement("SELECT l.session_id FROM session_leases l"
                + " JOIN unnest(?, ?, ?) AS f(session_id, epoch, owner_node)"
                + " ON l.session_id = f.session_id AND l.epoch = f.epoch AND l.owner_node = f.owner_node"
                + " FOR KEY SHARE OF l")) {
            check.setArray(1, writer.createArrayOf("uuid", ids));
            check.setArray(2, writer.createArrayOf("bigint", epochs));
            check.setArray(3, writer.createArrayOf("text", nodes));
            try (ResultSet rows = check.executeQuery()) {
                while (rows.next()) {
                    held.add(new SessionId(rows.getObject(1, UUID.class)));
                }
            }
        }
        Set<SessionId> lost = new HashSet<>(fences.keySet());
        lost.removeAll(held);
        return lost;
    }

    /** The statement a commit binds for a {@link io.meerkat.runtime.api.spi.StoreChange.NewLease}: uuid, node, ttl in ms. */
    static final String NEW_LEASE = "INSERT INTO session_leases (session_id, owner_node, epoch, expires_at)"
            + " VALUES (?, ?, 1, now() + ? * interval '1 millisecond') ON CONFLICT (session_id) DO NOTHING";

    @Override
    public void heartbeat(String nodeId, URI advertise, boolean draining) {
        write("heartbeat", connection -> {
            try (PreparedStatement beat = connection.prepareStatement("INSERT INTO nodes"
                    + " (node_id, advertise, started_at, heartbeat_at, draining) VALUES (?, ?, now(), now(), ?)"
                    + " ON CONFLICT (node_id) DO UPDATE SET advertise = excluded.advertise,"
                    + " heartbeat_at = excluded.heartbeat_at, draining = excluded.draining")) {
                beat.setString(1, nodeId);
                beat.setString(2, advertise == null ? null : advertise.toString());
                beat.setBoolean(3, draining);
                beat.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<Lease> renew(String nodeId) {
        return leases("renewal", nodeId, "UPDATE session_leases SET expires_at = now() + ? * interval '1 millisecond'"
                + " WHERE owner_node = ? RETURNING session_id, epoch", ttl.toMillis(), nodeId);
    }

    @Override
    public List<Lease> adopt(String nodeId) {
        return leases("adoption", nodeId, "UPDATE session_leases SET epoch = epoch + 1,"
                + " expires_at = now() + ? * interval '1 millisecond' WHERE owner_node = ? RETURNING session_id, epoch",
                ttl.toMillis(), nodeId);
    }

    @Override
    public List<Lease> claim(String nodeId, int max) {
        // Another node's lapsed lease or one let go; never this node's own (a late renewal of its own would
        // otherwise fence out its own running session). Oldest expiry first: the longest-waiting sessions.
        return leases("claim", nodeId, "WITH free AS (SELECT session_id FROM session_leases"
                + " WHERE (owner_node IS NULL OR expires_at < now()) AND owner_node IS DISTINCT FROM ?"
                + " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)"
                + " UPDATE session_leases l SET owner_node = ?, epoch = l.epoch + 1,"
                + " expires_at = now() + ? * interval '1 millisecond'"
                + " FROM free WHERE l.session_id = free.session_id RETURNING l.session_id, l.epoch",
                nodeId, (long) max, nodeId, ttl.toMillis());
    }

    @Override
    public void release(Collection<Lease> leases) {
        if (leases.isEmpty()) {
            return;
        }
        write("release", connection -> {
            try (PreparedStatement release = connection.prepareStatement("UPDATE session_leases"
                    + " SET owner_node = NULL, expires_at = now() WHERE session_id = ? AND owner_node = ? AND epoch = ?")) {
                for (Lease lease : leases) {
                    release.setObject(1, lease.sessionId().value());
                    release.setString(2, lease.nodeId());
                    release.setLong(3, lease.epoch());
                    release.addBatch();
                }
                release.executeBatch();
            }
            return null;
        });
    }

    @Override
    public void leave(String nodeId) {
        write("leave", connection -> {
            try (PreparedStatement leave = connection.prepareStatement("DELETE FROM nodes WHERE node_id = ?")) {
                leave.setString(1, nodeId);
                leave.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<SessionOwner> owner(SessionId sessionId) {
        return store.read("owner", connection -> {
            try (PreparedStatement owner = connection.prepareStatement("SELECT l.owner_node, n.advertise, l.epoch,"
                    + " l.owner_node IS NOT NULL AND l.expires_at > now() FROM session_leases l"
                    + " LEFT JOIN nodes n ON n.node_id = l.owner_node WHERE l.session_id = ?")) {
                owner.setObject(1, sessionId.value());
                try (ResultSet row = owner.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    String advertise = row.getString(2);
                    return Optional.of(new SessionOwner(sessionId, row.getString(1),
                            advertise == null ? null : URI.create(advertise), row.getLong(3), row.getBoolean(4)));
                }
            }
        });
    }

    @Override
    public List<ClusterNode> nodes() {
        return store.read("nodes", connection -> {
            try (PreparedStatement nodes = connection.prepareStatement("SELECT n.node_id, n.advertise, n.started_at,"
                    + " (EXTRACT(EPOCH FROM (now() - n.heartbeat_at)) * 1000)::bigint,"
                    + " n.heartbeat_at > now() - ? * interval '1 millisecond', n.draining,"
                    + " (SELECT COUNT(*) FROM session_leases l WHERE l.owner_node = n.node_id AND l.expires_at > now())"
                    + " FROM nodes n ORDER BY n.node_id")) {
                nodes.setLong(1, ttl.toMillis());
                List<ClusterNode> all = new ArrayList<>();
                try (ResultSet rows = nodes.executeQuery()) {
                    while (rows.next()) {
                        String advertise = rows.getString(2);
                        all.add(new ClusterNode(rows.getString(1), advertise == null ? null : URI.create(advertise),
                                rows.getTimestamp(3).toInstant(), Duration.ofMillis(Math.max(0, rows.getLong(4))),
                                rows.getBoolean(5), rows.getBoolean(6), rows.getLong(7)));
                    }
                }
                return all;
            }
        });
    }

    @Override
    public void load(Collection<SessionId> sessions, StoreVisitor visitor) {
        if (sessions.isEmpty()) {
            return;
        }
        List<UUID> ids = new ArrayList<>(sessions.size());
        sessions.forEach(id -> ids.add(id.value()));
        store.read("load of claimed sessions", connection -> {
            LoadReader.load(connection, store.dialect(), visitor, ids);
            return null;
        });
    }

    private List<Lease> leases(String what, String nodeId, String sql, Object... parameters) {
        return write(what, connection -> {
            List<Lease> leases = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    statement.setObject(i + 1, parameters[i]);
                }
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        leases.add(new Lease(new SessionId(rows.getObject(1, UUID.class)), nodeId, rows.getLong(2)));
                    }
                }
            }
            return leases;
        });
    }

    @FunctionalInterface
    private interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    /** Runs one transaction on the lease connection; a failure rolls it back (or drops the connection). */
    private <T> T write(String what, Work<T> work) {
        lock.lock();
        try {
            store.checkOpen();
            Connection current = connection;
            try {
                if (current == null) {
                    current = connections.open(true);
                    connection = current;
                }
                T result = work.apply(current);
                current.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                drop(current, e);
                throw new StoreUnavailableException("postgres store: the lease " + what + " failed: " + e.getMessage(), e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Must hold {@link #lock}. A connection that failed is closed, not reused in an unknown state. */
    private void drop(Connection failed, Exception failure) {
        connection = null;
        if (failed == null) {
            return;
        }
        try {
            failed.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
        try {
            failed.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /** Closes the lease connection; called by the store's close. */
    void close() {
        lock.lock();
        try {
            Connection current = connection;
            connection = null;
            if (current != null) {
                try {
                    current.close();
                } catch (SQLException e) {
                    // Closing on the way out: nothing to undo, the pool closes right after.
                    org.slf4j.LoggerFactory.getLogger(PostgresLeases.class).warn("closing the lease connection failed", e);
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
