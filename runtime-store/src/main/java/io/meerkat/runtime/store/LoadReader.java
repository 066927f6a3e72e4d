package io.meerkat.runtime.store;

import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link JdbcRuntimeStore#load} in two stages: a thread of its own reads the rows (JDBC, the database's
 * own work) and decodes sessions and inputs' content, while the caller decodes the statuses of the rows
 * read before and hands them to the visitor, in order. The two stages cost about the same, so a store of a
 * million inputs is ready in about the time of one rather than the sum of both (BENCHMARKS.md, issue 12,
 * recovery).
 *
 * <p>The reader is the only user of the connection until {@link #load} returns: the caller joins it
 * before that, whether the load ends, fails in the database or fails in the visitor.
 */
final class LoadReader {

    private static final int ROWS_PER_CHUNK = 512;
    private static final List<Object> END = List.of();

    /** The reader decodes sessions and inputs' content, the caller their statuses: about half the work each. */
    private record InputRow(long sequence, Input input, String idempotencyKey, byte[] status, UUID stagedRun) {
    }

    private final SqlDialect dialect;
    /** Chunks of rows in visiting order; {@link #END} after the last. Bounded: the reader waits for the caller. */
    private final BlockingQueue<List<Object>> chunks = new ArrayBlockingQueue<>(4);
    /** Set by the caller when it stops taking chunks: the reader then stops reading. */
    private volatile boolean abandoned;
    /** What ended the reader early, read by the caller after it joined the reader. */
    private Throwable failure;

    /** The sessions to read, {@code null} for all; only PostgreSQL is asked for some (an array parameter). */
    private final List<UUID> only;

    private LoadReader(SqlDialect dialect, List<UUID> only) {
        this.dialect = dialect;
        this.only = only;
    }

    /** Reads every session and its inputs from {@code connection}'s snapshot and hands them to {@code visitor}. */
    static void load(Connection connection, SqlDialect dialect, StoreVisitor visitor) throws SQLException {
        new LoadReader(dialect, null).run(connection, visitor);
    }

    /** Reads these sessions (PostgreSQL) and their inputs, as {@link #load(Connection, SqlDialect, StoreVisitor)}. */
    static void load(Connection connection, SqlDialect dialect, StoreVisitor visitor, List<UUID> sessions)
            throws SQLException {
        new LoadReader(dialect, List.copyOf(sessions)).run(connection, visitor);
    }

    private void run(Connection connection, StoreVisitor visitor) throws SQLException {
        Thread reader = new Thread(() -> readAll(connection), "meerkat-store-load");
        reader.setDaemon(true);
        reader.start();
        boolean interrupted = false;
        try {
            interrupted = visitAll(visitor);
        } finally {
            abandoned = true;
            chunks.clear();
            while (reader.isAlive()) {
                try {
                    reader.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        // Joined: the reader's write of failure happens-before this read.
        if (failure instanceof SQLException database) {
            throw database;
        } else if (failure instanceof RuntimeException undecodable) {
            throw undecodable;
        } else if (failure instanceof Error error) {
            throw error;
        }
    }

    /**
     * Visits every row the reader hands over, up to {@link #END}. Not interruptible, as a load on one thread
     * was not: the reader always ends, and an interrupt is kept for the caller.
     *
     * @return whether the thread was interrupted meanwhile
     */
    private boolean visitAll(StoreVisitor visitor) {
        SessionId session = null;
        boolean interrupted = false;
        while (true) {
            List<Object> chunk;
            try {
                chunk = chunks.take();
            } catch (InterruptedException e) {
                interrupted = true;
                continue;
            }
            if (chunk == END) {
                return interrupted;
            }
            for (Object row : chunk) {
                if (row instanceof StoredSession stored) {
                    session = stored.id();
                    visitor.session(stored);
                } else if (row instanceof InputRow input) {
                    visitor.input(new StoredInput(session, input.sequence(), input.input(),
                            input.idempotencyKey(), StoreCodec.status(input.status()),
                            input.stagedRun() == null ? null : new RunId(input.stagedRun())));
                }
            }
        }
    }

    private void readAll(Connection connection) {
        String which = only == null ? "" : " WHERE session_id = ANY(?)";
        try (PreparedStatement sessions = fetchingInSteps(connection.prepareStatement(
                     "SELECT session_id, session_json FROM sessions" + which + " ORDER BY session_id"));
             PreparedStatement inputs = fetchingInSteps(connection.prepareStatement("SELECT session_id, seq, input_json,"
                     + " idempotency_key, status_json, staged_run FROM inputs" + which + " ORDER BY session_id, seq"));
             ResultSet sessionRows = query(sessions);
             ResultSet inputRows = query(inputs)) {
            List<Object> chunk = new ArrayList<>(ROWS_PER_CHUNK);
            // Both queries order by session_id under the database's own collation and every input has a
            // stored session (foreign key), so a session's inputs are exactly the run at the input cursor.
            boolean more = inputRows.next();
            while (sessionRows.next() && !abandoned) {
                UUID id = dialect.getUuid(sessionRows, 1);
                chunk.add(StoreCodec.session(dialect.getText(sessionRows, 2)));
                while (more && !abandoned && id.equals(dialect.getUuid(inputRows, 1))) {
                    chunk.add(new InputRow(inputRows.getLong(2), StoreCodec.input(dialect.getText(inputRows, 3)),
                            inputRows.getString(4),
                            dialect.getText(inputRows, 5), dialect.getUuid(inputRows, 6)));
                    more = inputRows.next();
                    if (chunk.size() >= ROWS_PER_CHUNK) {
                        // Within a session too: chunks stay small however many inputs one session holds.
                        hand(chunk);
                        chunk = new ArrayList<>(ROWS_PER_CHUNK);
                    }
                }
                if (chunk.size() >= ROWS_PER_CHUNK) {
                    hand(chunk);
                    chunk = new ArrayList<>(ROWS_PER_CHUNK);
                }
            }
            if (!chunk.isEmpty()) {
                hand(chunk);
            }
        } catch (SQLException | RuntimeException | Error e) {
            // Handed to the caller, which throws it once the reader has ended: a row that cannot be read
            // or decoded ends the load there, as it would if the caller read it.
            failure = e;
        } finally {
            hand(END);
        }
    }

    private ResultSet query(PreparedStatement statement) throws SQLException {
        if (only != null) {
            statement.setArray(1, statement.getConnection().createArrayOf("uuid", only.toArray()));
        }
        return statement.executeQuery();
    }

    /**
     * A driver that would otherwise fetch a whole result before handing its first row (PostgreSQL's, on a
     * connection that is not in autocommit, as read connections are not) fetches it a step at a time.
     */
    private static PreparedStatement fetchingInSteps(PreparedStatement statement) throws SQLException {
        statement.setFetchSize(ROWS_PER_CHUNK * 2);
        return statement;
    }

    /** Queues a chunk for the caller; drops it once the caller has stopped taking chunks. */
    private void hand(List<Object> chunk) {
        try {
            while (!abandoned && !chunks.offer(chunk, 10, TimeUnit.MILLISECONDS)) {
                // The caller is decoding: wait for room, checking now and then whether it gave up.
            }
        } catch (InterruptedException e) {
            // Nobody interrupts this private thread; if something does, the load ends here as abandoned.
            abandoned = true;
            Thread.currentThread().interrupt();
        }
    }
}
