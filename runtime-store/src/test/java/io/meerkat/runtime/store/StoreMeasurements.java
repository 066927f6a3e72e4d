package io.meerkat.runtime.store;

import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange.PutInput;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;

/**
 * The figures of runtime-store/README.md, measured in one JVM (no JMH: a few seconds each, order fixed):
 * <ol>
 *   <li>start-up: opening an empty sqlite store with this module's schema-version table, against Flyway
 *       migrating the same script on an empty file, first (cold classes) and then warm (median of 5);</li>
 *   <li>{@code commit} rows/s with 1, 16 and 64 inputs per commit (one batch per input, as group commit
 *       hands them), against plain JDBC batched inserts of the same pre-encoded rows into the same schema
 *       with the same pragmas, for synchronous FULL and NORMAL.</li>
 * </ol>
 * Run with the command in the README. Prints a Markdown table; asserts nothing.
 */
public final class StoreMeasurements {

    private static final long MILLIS_EACH = Long.getLong("millis", 2500);

    private StoreMeasurements() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("store-measurements");
        startUp(dir);
        // Warm-up, discarded: the JIT compiles the encoder and the driver's paths before anything is timed.
        storeRate(dir.resolve("warm-store.db"), "NORMAL", 64);
        plainRate(dir.resolve("warm-plain.db"), "NORMAL", 64);
        throughput(dir, "FULL");
        throughput(dir, "NORMAL");
    }

    private static void startUp(Path dir) throws Exception {
        // Both need the driver and its native library: load them first so neither pays for them.
        try (Connection warm = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("warm.db"))) {
            warm.createStatement().execute("CREATE TABLE t (x)");
        }
        long ownCold = time(() -> new SqliteStoreProvider().open(Map.of("path", dir.resolve("own-cold.db").toString())).close());
        long flywayCold = time(() -> flyway(dir.resolve("flyway-cold.db")));
        long[] own = new long[5];
        long[] flyway = new long[5];
        for (int i = 0; i < 5; i++) {
            Path ownFile = dir.resolve("own-" + i + ".db");
            Path flywayFile = dir.resolve("flyway-" + i + ".db");
            own[i] = time(() -> new SqliteStoreProvider().open(Map.of("path", ownFile.toString())).close());
            flyway[i] = time(() -> flyway(flywayFile));
        }
        System.out.printf("%n| schema start-up (empty file) | first in the JVM | warm, median of 5 |%n|---|---:|---:|%n");
        System.out.printf("| schema-version table (store open, migrate, close) | %.1f ms | %.1f ms |%n", ownCold / 1e6, median(own) / 1e6);
        System.out.printf("| Flyway 13.12.2 migrate of the same script | %.1f ms | %.1f ms |%n", flywayCold / 1e6, median(flyway) / 1e6);
    }

    private static void flyway(Path file) {
        Flyway.configure().dataSource("jdbc:sqlite:" + file, null, null)
                .locations("classpath:io/meerkat/runtime/store/schema/sqlite").load().migrate();
    }

    private static void throughput(Path dir, String synchronous) throws Exception {
        System.out.printf("%nload average before: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
        System.out.printf("%n| synchronous=%s | inputs per commit | store commit rows/s | plain JDBC rows/s | ratio |%n|---|---:|---:|---:|---:|%n",
                synchronous);
        for (int perCommit : new int[] {1, 16, 64}) {
            double store = storeRate(dir.resolve("store-" + synchronous + "-" + perCommit + ".db"), synchronous, perCommit);
            double plain = plainRate(dir.resolve("plain-" + synchronous + "-" + perCommit + ".db"), synchronous, perCommit);
            System.out.printf("| | %d | %,.0f | %,.0f | %.2f |%n", perCommit, store, plain, store / plain);
        }
    }

    private static double storeRate(Path file, String synchronous, int perCommit) {
        try (RuntimeStore store = new SqliteStoreProvider().open(Map.of("path", file.toString(), "synchronous", synchronous))) {
            SessionId session = SessionId.random();
            store.commit(List.of(StoreBatch.of(new PutSession(RuntimeStoreConformanceTest.session(session)))));
            // Built before the clock starts, like the baseline's rows: only the store's own work is timed.
            int prepared = 150_000;
            List<StoredInput> inputs = new ArrayList<>(prepared);
            for (int i = 0; i < prepared; i++) {
                inputs.add(input(session, i));
            }
            int next = 0;
            long rows = 0;
            long start = System.nanoTime();
            long end = start + MILLIS_EACH * 1_000_000;
            while (System.nanoTime() < end && next + perCommit <= prepared) {
                List<StoreBatch> batches = new ArrayList<>(perCommit);
                for (int i = 0; i < perCommit; i++) {
                    batches.add(StoreBatch.of(new PutInput(inputs.get(next++))));
                }
                store.commit(batches);
                rows += perCommit;
            }
            return rows / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** The same rows, encoded before the clock starts, inserted with a plain batched INSERT. */
    private static double plainRate(Path file, String synchronous, int perCommit) throws SQLException {
        new SqliteStoreProvider().open(Map.of("path", file.toString())).close();
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.valueOf(synchronous));
        config.enforceForeignKeys(true);
        try (Connection connection = config.createConnection("jdbc:sqlite:" + file)) {
            connection.setAutoCommit(false);
            SessionId session = SessionId.random();
            try (PreparedStatement put = connection.prepareStatement(
                    "INSERT INTO sessions (session_id, executor_kind, state, session_json) VALUES (?, ?, ?, ?)")) {
                put.setBytes(1, bytes(session.value()));
                put.setString(2, "echo");
                put.setString(3, "IDLE");
                put.setString(4, StoreCodec.write(RuntimeStoreConformanceTest.session(session)));
                put.executeUpdate();
            }
            connection.commit();
            int prepared = 150_000;
            List<Object[]> rows = new ArrayList<>(prepared);
            for (int i = 0; i < prepared; i++) {
                StoredInput input = input(session, i);
                rows.add(new Object[] {bytes(input.inputId().value()), bytes(session.value()), input.sequence(),
                        input.status().state().name(), input.status().lane().name(), input.idempotencyKey(),
                        StoreCodec.write(input.input()), StoreCodec.write(input.status())});
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO inputs (input_id, session_id, seq, state, lane,"
                    + " idempotency_key, finished_at, staged_run, input_json, status_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                int next = 0;
                long start = System.nanoTime();
                long end = start + MILLIS_EACH * 1_000_000;
                while (System.nanoTime() < end && next + perCommit <= prepared) {
                    for (int i = 0; i < perCommit; i++) {
                        Object[] row = rows.get(next++);
                        insert.setBytes(1, (byte[]) row[0]);
                        insert.setBytes(2, (byte[]) row[1]);
                        insert.setLong(3, (Long) row[2]);
                        insert.setString(4, (String) row[3]);
                        insert.setString(5, (String) row[4]);
                        insert.setString(6, (String) row[5]);
                        insert.setNull(7, Types.BIGINT);
                        insert.setNull(8, Types.BLOB);
                        insert.setString(9, (String) row[6]);
                        insert.setString(10, (String) row[7]);
                        insert.addBatch();
                    }
                    insert.executeBatch();
                    connection.commit();
                }
                return next / ((System.nanoTime() - start) / 1e9);
            }
        }
    }

    /** An admitted prompt of about 200 bytes of JSON, with an idempotency key. */
    static StoredInput input(SessionId session, long sequence) {
        Input prompt = Input.prompt("please summarise the attached report, section " + sequence + ", in three sentences");
        StoredInput stored = RuntimeStoreConformanceTest.stored(session, sequence, prompt, InputLifecycleState.QUEUED, null);
        return new StoredInput(stored.sessionId(), sequence, stored.input(), stored.idempotencyKey(),
                RuntimeStoreConformanceTest.status(stored.inputId(), prompt.kind(), InputLifecycleState.QUEUED,
                        io.meerkat.runtime.api.Lane.QUEUE, 0), null);
    }

    private static byte[] bytes(UUID id) {
        return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    private static long time(Action action) throws Exception {
        long start = System.nanoTime();
        action.run();
        return System.nanoTime() - start;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
