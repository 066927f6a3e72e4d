package io.meerkat.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The durable benchmarks' baseline: the smallest group commit that can be written over plain JDBC. One
 * writer thread drains what the submitters left (up to 512 rows) into one batched insert of an input row
 * and commits it; each submitter waits for its row's commit.
 */
final class PlainGroupCommit implements AutoCloseable {

    /** The insert of an input row the store would write: only the id and the sequence differ from row to row. */
    static final String INSERT = "INSERT INTO inputs (input_id, session_id, seq, state, lane, idempotency_key,"
            + " finished_at, staged_run, input_json, status_json) VALUES (?, ?, ?, 'QUEUED', 'QUEUE', NULL, NULL, NULL, ?, ?)";

    /** Binds the five parameters of {@link #INSERT} for one row, in the database's types. */
    interface RowBinder {
        void bind(PreparedStatement insert, UUID inputId, long sequence) throws SQLException;
    }

    private record Row(UUID inputId, long sequence, CompletableFuture<Void> committed) {
    }

    private final LinkedBlockingQueue<Row> waiting = new LinkedBlockingQueue<>();
    /** Above the sequence of the row the store wrote to set the baseline up. */
    private final AtomicLong sequence = new AtomicLong(1_000);
    private final Thread writer;
    private volatile boolean open = true;

    /** Starts the writer on {@code connection} (autocommit off), which it closes when it ends. */
    PlainGroupCommit(Connection connection, String name, RowBinder binder) {
        writer = new Thread(() -> writeUntilClosed(connection, binder), name);
        writer.setDaemon(true);
        writer.start();
    }

    /** Hands over a row with a new sequence; completes once it is committed. */
    CompletableFuture<Void> submit(UUID inputId) {
        CompletableFuture<Void> committed = new CompletableFuture<>();
        waiting.add(new Row(inputId, sequence.incrementAndGet(), committed));
        return committed;
    }

    private void writeUntilClosed(Connection connection, RowBinder binder) {
        List<Row> group = new ArrayList<>();
        try (connection; PreparedStatement insert = connection.prepareStatement(INSERT)) {
            while (open) {
                Row first = waiting.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                waiting.drainTo(group, 511);
                for (Row row : group) {
                    binder.bind(insert, row.inputId(), row.sequence());
                    insert.addBatch();
                }
                insert.executeBatch();
                connection.commit();
                for (Row row : group) {
                    row.committed().complete(null);
                }
                group.clear();
            }
        } catch (SQLException | InterruptedException e) {
            for (Row row : group) {
                row.committed().completeExceptionally(e);
            }
            throw new IllegalStateException("the plain JDBC writer failed", e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        open = false;
        writer.join(10_000);
    }
}
