package io.meerkat.runtime.store;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RuntimeStore} over JDBC: one writer connection, taken by one commit at a time (SQLite has one
 * writer; on a server it keeps commits in the order callers were serialised), and a small pool of read
 * connections so reads go on while a commit runs or while the store refuses writes. A commit is one
 * transaction: its changes are encoded before the writer is taken, bound as batched statements
 * ({@code executeBatch}, one run per stretch of changes of the same kind, so order within and across
 * batches is kept), and either committed whole or rolled back whole. What differs between databases is in
 * the {@link SqlDialect}.
 */
final class JdbcRuntimeStore implements RuntimeStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcRuntimeStore.class);

    /** Opens connections to one database, with autocommit off. */
    @FunctionalInterface
    interface Connections {
        Connection open(boolean writer) throws SQLException;

        /** Releases what the connections share (a pool), after the store closed every connection it held. */
        default void close() {
        }
    }

    private final String provider;
    private final String location;
    private final SqlDialect dialect;
    private final Connections connections;
    private final int schemaVersion;

    /**
     * Fair, so that a commit waiting while a prune holds the writer takes it before the prune's next chunk
     * ({@link #prune}); commits come from one group-commit thread, so fairness costs them nothing else.
     */
    private final ReentrantLock writeLock = new ReentrantLock(true);
    /** Inputs (or receipts) a prune deletes per transaction; see {@link #prune}. */
    static final int PRUNE_CHUNK_ROWS = 1_000;
    private volatile int pruneChunkRows = PRUNE_CHUNK_ROWS;
    /** The writer, or null after a failure left it unusable; used under {@link #writeLock} only. */
    private Connection writer;
    private final Map<Sql, PreparedStatement> writerStatements = new EnumMap<>(Sql.class);
    /** Runs inside each commit's transaction before it commits; for tests that hold a write in progress. */
    private volatile Runnable beforeCommit = () -> { };

    /** The leases of several nodes sharing the database; {@code null} for a store one runtime has to itself. */
    private volatile PostgresLeases leases;

    private final Semaphore readPermits;
    private final ConcurrentLinkedQueue<Connection> idleReaders = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    JdbcRuntimeStore(String provider, String location, SqlDialect dialect, Connections connections, int readers) {
        this.provider = provider;
        this.location = location;
        this.dialect = dialect;
        this.connections = connections;
        this.readPermits = new Semaphore(readers);
        try {
            writer = connections.open(true);
            schemaVersion = SchemaMigrator.migrate(writer, dialect);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(writer, e);
            throw new StoreUnavailableException(provider + " store at " + location + " cannot be opened: " + e.getMessage(), e);
        }
    }

    /** The statements a commit binds, with the JDBC types of their parameters (for nulls). */
    private enum Sql {
        PUT_SESSION("INSERT INTO sessions (session_id, executor_kind, state, session_json) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (session_id) DO UPDATE SET executor_kind = excluded.executor_kind,"
                + " state = excluded.state, session_json = excluded.session_json",
                false, Types.OTHER, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR),
        REMOVE_SESSION("DELETE FROM sessions WHERE session_id = ?", false, Types.OTHER),
        // The WHERE keeps an input in its session: a put naming another session updates nothing and is refused.
        PUT_INPUT("INSERT INTO inputs (input_id, session_id, seq, state, lane, idempotency_key, finished_at,"
                + " staged_run, input_json, status_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (input_id) DO UPDATE SET seq = excluded.seq, state = excluded.state,"
                + " lane = excluded.lane, idempotency_key = excluded.idempotency_key,"
                + " finished_at = excluded.finished_at, staged_run = excluded.staged_run,"
                + " input_json = excluded.input_json, status_json = excluded.status_json"
                + " WHERE inputs.session_id = excluded.session_id",
                true, Types.OTHER, Types.OTHER, Types.BIGINT, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR,
                Types.BIGINT, Types.OTHER, Types.VARCHAR, Types.VARCHAR),
        PUT_RECEIPT("INSERT INTO receipts (session_id, run_id, seq, receipt_json) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (session_id, run_id) DO UPDATE SET seq = excluded.seq, receipt_json = excluded.receipt_json",
                false, Types.OTHER, Types.OTHER, Types.BIGINT, Types.VARCHAR),
        // Inserts only for an input stored in the named session: anything else inserts nothing and is refused.
        PUT_OUTCOME("INSERT INTO outcomes (input_id, session_id, outcome_json)"
                + " SELECT input_id, session_id, ? FROM inputs WHERE input_id = ? AND session_id = ?"
                + " ON CONFLICT (input_id) DO UPDATE SET outcome_json = excluded.outcome_json",
                true, Types.VARCHAR, Types.OTHER, Types.OTHER),
        // Inserts nothing for a session that already has a lease: refused (its id is another node's session).
        NEW_LEASE(PostgresLeases.NEW_LEASE, "the session already has a lease (another node runs it)",
                Types.OTHER, Types.VARCHAR, Types.BIGINT);

        final String text;
        /** Why a row that changed nothing is refused; {@code null} if a row may change nothing. */
        final String refusal;
        /** {@link Types#OTHER} marks a UUID, bound by the dialect. */
        final int[] types;

        Sql(String text, boolean checked, int... types) {
            this(text, checked ? "the input is not stored in that session" : null, types);
        }

        Sql(String text, String refusal, int... types) {
            this.text = text;
            this.refusal = refusal;
            this.types = types;
        }
    }

    /** One change ready to bind: its statement, its parameters, and what it is for error messages. */
    private record Row(Sql sql, Object[] values, String what) {
    }

    @Override
    public void commit(List<StoreBatch> batches) {
        List<Row> rows = encode(batches);
        Map<SessionId, Fence> fences = fences(batches);
        writeLock.lock();
        try {
            checkOpen();
            Connection connection = writer();
            try {
                if (!fences.isEmpty()) {
                    // First, so that a batch of a session this node lost writes nothing, and the leases checked
                    // stay locked against a claim until this transaction ends (PostgresLeases: locks).
                    Set<SessionId> lost = PostgresLeases.lost(connection, fences);
                    if (!lost.isEmpty()) {
                        connection.rollback();
                        throw new OwnershipLostException(lost);
                    }
                }
                write(connection, rows);
                beforeCommit.run();
                connection.commit();
            } catch (OwnershipLostException lost) {
                throw lost;
            } catch (SQLException | RuntimeException e) {
                rollback(connection, e);
                throw StoreRules.commitFailed(provider, e.getMessage(), e);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** The fence of each fenced session of a commit; refused on a store no node shares. */
    private Map<SessionId, Fence> fences(List<StoreBatch> batches) {
        Map<SessionId, Fence> fences = new LinkedHashMap<>();
        for (StoreBatch batch : batches) {
            if (batch.fence() != null && batch.fencedSession() != null) {
                if (leases == null) {
                    throw StoreRules.commitFailed(provider, "the " + provider + " store has one runtime: it takes no"
                            + " fenced batch", null);
                }
                Fence earlier = fences.putIfAbsent(batch.fencedSession(), batch.fence());
                if (earlier != null && !earlier.equals(batch.fence())) {
                    throw StoreRules.commitFailed(provider, "session " + batch.fencedSession()
                            + " is fenced by two leases in one commit: " + earlier + " and " + batch.fence(), null);
                }
            }
        }
        return fences;
    }

    private List<Row> encode(List<StoreBatch> batches) {
        List<Row> rows = new ArrayList<>();
        for (StoreBatch batch : batches) {
            for (StoreChange change : batch.changes()) {
                rows.add(encode(change));
            }
        }
        return rows;
    }

    private Row encode(StoreChange change) {
        if (change instanceof StoreChange.PutSession put) {
            StoredSession session = put.session();
            return new Row(Sql.PUT_SESSION, new Object[] {session.id().value(), session.executorKind(),
                    session.state().name(), StoreCodec.write(session)}, "session " + session.id());
        }
        if (change instanceof StoreChange.RemoveSession remove) {
            return new Row(Sql.REMOVE_SESSION, new Object[] {remove.sessionId().value()}, "removal of session " + remove.sessionId());
        }
        if (change instanceof StoreChange.PutInput put) {
            StoredInput input = put.input();
            Instant finished = StoreRules.finishedAt(input);
            return new Row(Sql.PUT_INPUT, new Object[] {input.inputId().value(), input.sessionId().value(),
                    input.sequence(), input.status().state().name(),
                    input.status().lane() == null ? null : input.status().lane().name(), input.idempotencyKey(),
                    finished == null ? null : StoreRules.epochNanos(finished),
                    input.stagedRun() == null ? null : input.stagedRun().value(),
                    StoreCodec.write(input.input()), StoreCodec.write(input.status())},
                    "input " + input.inputId() + " of session " + input.sessionId());
        }
        if (change instanceof StoreChange.PutReceipt put) {
            RunBoundaryReceipt receipt = put.receipt();
            return new Row(Sql.PUT_RECEIPT, new Object[] {put.sessionId().value(), receipt.runId().value(),
                    receipt.sequence(), StoreCodec.write(receipt)}, "receipt of run " + receipt.runId());
        }
        if (change instanceof StoreChange.PutOutcome put) {
            return new Row(Sql.PUT_OUTCOME, new Object[] {StoreCodec.write(put.outcome()), put.inputId().value(),
                    put.sessionId().value()}, "outcome of input " + put.inputId() + " of session " + put.sessionId());
        }
        if (change instanceof StoreChange.NewLease lease) {
            if (leases == null) {
                throw StoreRules.commitFailed(provider, "the " + provider + " store has one runtime: it keeps no lease"
                        + " (session " + lease.sessionId() + ")", null);
            }
            return new Row(Sql.NEW_LEASE, new Object[] {lease.sessionId().value(), lease.nodeId(),
                    leases.leaseTtl().toMillis()}, "lease of new session " + lease.sessionId());
        }
        throw new IllegalArgumentException("unknown change " + change.getClass().getName());
    }

    private void write(Connection connection, List<Row> rows) throws SQLException {
        int start = 0;
        while (start < rows.size()) {
            Sql sql = rows.get(start).sql();
            int end = start;
            PreparedStatement statement = writerStatement(connection, sql);
            while (end < rows.size() && rows.get(end).sql() == sql) {
                bind(statement, sql, rows.get(end).values());
                statement.addBatch();
                end++;
            }
            int[] counts = statement.executeBatch();
            if (sql.refusal != null) {
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] == 0) {
                        throw new IllegalStateException(rows.get(start + i).what() + " was refused: " + sql.refusal);
                    }
                }
            }
            start = end;
        }
    }

    private void bind(PreparedStatement statement, Sql sql, Object[] values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            Object value = values[i];
            int index = i + 1;
            if (sql.types[i] == Types.OTHER) {
                if (value == null) {
                    statement.setNull(index, dialect.uuidSqlType());
                } else {
                    dialect.setUuid(statement, index, (UUID) value);
                }
            } else if (value == null) {
                statement.setNull(index, sql.types[i]);
            } else if (value instanceof Long number) {
                statement.setLong(index, number);
            } else {
                statement.setString(index, (String) value);
            }
        }
    }

    /** Must hold {@link #writeLock}. */
    private Connection writer() {
        if (writer == null) {
            try {
                writer = connections.open(true);
            } catch (SQLException e) {
                throw new StoreUnavailableException(provider + " store at " + location + " cannot be reached for writing: "
                        + e.getMessage(), e);
            }
        }
        return writer;
    }

    /** Must hold {@link #writeLock}. */
    private PreparedStatement writerStatement(Connection connection, Sql sql) throws SQLException {
        PreparedStatement statement = writerStatements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql.text);
            writerStatements.put(sql, statement);
        }
        return statement;
    }

    /**
     * Rolls the failed transaction back; if even that fails the writer is dropped, so the next commit opens
     * a fresh one instead of writing into a transaction in an unknown state. Must hold {@link #writeLock}.
     */
    private void rollback(Connection connection, Exception failure) {
        try {
            for (PreparedStatement statement : writerStatements.values()) {
                statement.clearBatch();
            }
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
            LOG.warn("{} store: rollback failed, reopening the writer for the next commit", provider, rollbackFailure);
            dropWriter(failure);
        }
    }

    private void dropWriter(Exception failure) {
        for (PreparedStatement statement : writerStatements.values()) {
            closeQuietly(statement, failure);
        }
        writerStatements.clear();
        closeQuietly(writer, failure);
        writer = null;
    }

    /**
     * Makes this store one that several runtimes share (its database has the lease tables: PostgreSQL), with
     * leases lasting {@code ttl}; called once, by the provider, before the store is handed out.
     */
    void shareWithLeases(Duration ttl) {
        leases = new PostgresLeases(this, connections, ttl);
    }

    @Override
    public Optional<ClusterStore> cluster() {
        return Optional.ofNullable(leases);
    }

    SqlDialect dialect() {
        return dialect;
    }

    /** Only for tests: runs inside every later commit's (and prune chunk's) transaction, after its writes, before it commits. */
    void beforeCommit(Runnable hook) {
        beforeCommit = hook;
    }

    @Override
    public void load(StoreVisitor visitor) {
        read("load", connection -> {
            LoadReader.load(connection, dialect, visitor);
            return null;
        });
    }

    @Override
    public Optional<CompletionOutcome> outcome(SessionId sessionId, InputId inputId) {
        return read("outcome", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT outcome_json FROM outcomes WHERE input_id = ? AND session_id = ?")) {
                dialect.setUuid(statement, 1, inputId.value());
                dialect.setUuid(statement, 2, sessionId.value());
                try (ResultSet row = statement.executeQuery()) {
                    return row.next() ? Optional.of(StoreCodec.outcome(row.getString(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Optional<RunBoundaryReceipt> receipt(SessionId sessionId, RunId runId) {
        return read("receipt", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT receipt_json FROM receipts WHERE session_id = ? AND run_id = ?")) {
                dialect.setUuid(statement, 1, sessionId.value());
                dialect.setUuid(statement, 2, runId.value());
                try (ResultSet row = statement.executeQuery()) {
                    return row.next() ? Optional.of(StoreCodec.receipt(row.getString(1))) : Optional.empty();
                }
            }
        });
    }

    /**
     * Forgets in chunks of at most {@link #PRUNE_CHUNK_ROWS} rows, each its own short transaction holding the
     * writer, so that commits go on between chunks however much a prune has to forget (a first prune of a
     * large store would otherwise stall every commit behind one long delete). Each chunk is atomic; a prune
     * that fails midway has forgotten the chunks before, and the next prune goes on from there.
     */
    @Override
    public long prune(RetentionPolicy policy) {
        int chunk = pruneChunkRows;
        long pruned = 0;
        int deleted;
        do {
            // Ranks are taken again for each chunk: deleting rows ranked beyond keepPerSession ranks no kept row lower.
            deleted = deleteChunk("DELETE FROM inputs WHERE input_id IN (SELECT input_id FROM ("
                    + "SELECT input_id, finished_at, ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY seq DESC) AS newest"
                    + " FROM inputs WHERE finished_at IS NOT NULL) finished"
                    + " WHERE newest > ? OR finished_at < ? LIMIT ?)",
                    policy.keepPerSession(), StoreRules.epochNanos(policy.finishedBefore()), chunk);
            pruned += deleted;
        } while (deleted == chunk);
        do {
            // A receipt is kept while an input staged by its run is stored: recovery needs no other.
            deleted = deleteChunk("DELETE FROM receipts WHERE (session_id, run_id) IN (SELECT session_id, run_id"
                    + " FROM receipts WHERE NOT EXISTS (SELECT 1 FROM inputs WHERE inputs.session_id = receipts.session_id"
                    + " AND inputs.staged_run = receipts.run_id) LIMIT ?)", chunk);
        } while (deleted == chunk);
        return pruned;
    }

    /** Runs one delete of a prune in its own transaction, holding the writer for it only. */
    private int deleteChunk(String sql, long... parameters) {
        writeLock.lock();
        try {
            checkOpen();
            Connection connection = writer();
            try (PreparedStatement delete = connection.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    delete.setLong(i + 1, parameters[i]);
                }
                int deleted = delete.executeUpdate();
                beforeCommit.run();
                connection.commit();
                return deleted;
            } catch (SQLException | RuntimeException e) {
                rollback(connection, e);
                throw StoreRules.commitFailed(provider, "prune: " + e.getMessage(), e);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Only for tests: the rows a prune deletes per transaction. */
    void pruneChunkRows(int rows) {
        pruneChunkRows = rows;
    }

    /** Only for tests: whether a commit (or prune chunk) waits for the writer. */
    boolean writerWanted() {
        return writeLock.hasQueuedThreads();
    }

    @Override
    public StoreInfo info() {
        return read("info", connection -> {
            Map<InputLifecycleState, Long> byState = new EnumMap<>(InputLifecycleState.class);
            long sessions;
            try (Statement statement = connection.createStatement()) {
                try (ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM sessions")) {
                    row.next();
                    sessions = row.getLong(1);
                }
                try (ResultSet rows = statement.executeQuery("SELECT state, COUNT(*) FROM inputs GROUP BY state")) {
                    while (rows.next()) {
                        byState.put(InputLifecycleState.valueOf(rows.getString(1)), rows.getLong(2));
                    }
                }
            }
            return new StoreInfo(provider, location, SchemaMigrator.version(connection), sessions, byState,
                    dialect.sizeBytes(connection));
        });
    }

    @FunctionalInterface
    interface Read<T> {
        T apply(Connection connection) throws SQLException;
    }

    /** Runs one read in its own snapshot on a pooled read connection. */
    <T> T read(String what, Read<T> read) {
        checkOpen();
        readPermits.acquireUninterruptibly();
        Connection connection = idleReaders.poll();
        try {
            if (connection == null) {
                connection = connections.open(false);
            }
            dialect.beginSnapshot(connection);
            T result = read.apply(connection);
            connection.commit();
            idleReaders.add(connection);
            connection = null;
            if (closed) {
                // close() may have drained the pool before this connection came back: drain again.
                closeIdleReaders();
            }
            return result;
        } catch (SQLException e) {
            throw new StoreUnavailableException(provider + " store at " + location + ": " + what + " failed: " + e.getMessage(), e);
        } finally {
            // A connection still held here failed mid-read: it is closed rather than pooled in an unknown state.
            if (connection != null) {
                closeQuietly(connection, null);
            }
            readPermits.release();
        }
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (writer != null) {
                dropWriter(null);
            }
        } finally {
            writeLock.unlock();
        }
        if (leases != null) {
            leases.close();
        }
        closeIdleReaders();
        connections.close();
    }

    private void closeIdleReaders() {
        Connection reader;
        while ((reader = idleReaders.poll()) != null) {
            closeQuietly(reader, null);
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException(provider + " store at " + location + " is closed");
        }
    }

    private static void closeQuietly(AutoCloseable resource, Exception failure) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.warn("closing a store connection failed", e);
            }
        }
    }
}
