package io.meerkat.runtime.store;

import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange.PutInput;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The PostgreSQL figures of runtime-store/README.md: an embedded PostgreSQL 17 started with {@code fsync}
 * and {@code synchronous_commit} on (a returned commit is on disk, as in production), the time to open
 * the store on an empty database (pool, schema), then {@code commit} rows/s with 1, 16 and 64 inputs per
 * commit, the rows of {@link StoreMeasurements}. Run like StoreMeasurements, with this class's name.
 * Prints a Markdown table; asserts nothing.
 */
public final class PostgresMeasurements {

    private static final long MILLIS_EACH = Long.getLong("millis", 2500);

    private PostgresMeasurements() {
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        try (EmbeddedPostgres server = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on").start()) {
            System.out.printf("embedded PostgreSQL started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            int databases = 0;
            String warm = database(server, "warm" + databases++);
            rate(warm, 64);
            long opening = System.nanoTime();
            new PostgresStoreProvider().open(Map.of("url", database(server, "open"))).close();
            System.out.printf("store opened on an empty database (pool, schema) in %d ms%n",
                    (System.nanoTime() - opening) / 1_000_000);
            System.out.printf("%n| inputs per commit | store commit rows/s |%n|---:|---:|%n");
            for (int perCommit : new int[] {1, 16, 64}) {
                System.out.printf("| %d | %,.0f |%n", perCommit, rate(database(server, "rate" + perCommit), perCommit));
            }
        }
    }

    private static String database(EmbeddedPostgres server, String name) throws Exception {
        try (Connection admin = server.getPostgresDatabase().getConnection(); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return server.getJdbcUrl("postgres", name);
    }

    private static double rate(String url, int perCommit) {
        try (RuntimeStore store = new PostgresStoreProvider().open(Map.of("url", url))) {
            SessionId session = SessionId.random();
            store.commit(List.of(StoreBatch.of(new PutSession(RuntimeStoreConformanceTest.session(session)))));
            int prepared = 100_000;
            List<StoredInput> inputs = new ArrayList<>(prepared);
            for (int i = 0; i < prepared; i++) {
                inputs.add(StoreMeasurements.input(session, i));
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
}
