package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.api.spi.StoreChange.PutInput;
import io.meerkat.runtime.store.testpg.TestPostgres;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The postgres provider's settings, its messages (never a password), its schema and its pool. */
class PostgresStoreProviderTest {

    @Test
    void badSettingsAreRefusedWithClearMessages() {
        PostgresStoreProvider provider = new PostgresStoreProvider();
        assertEquals("the postgres store needs the setting 'url' (jdbc:postgresql://host:port/database)",
                assertThrows(IllegalArgumentException.class, () -> provider.open(Map.of())).getMessage());
        assertEquals("unknown postgres store setting 'path', known: ",
                assertThrows(IllegalArgumentException.class, () -> provider.open(Map.of("url", "jdbc:postgresql://h/d",
                        "path", "x"))).getMessage().replaceAll("\\[.*]", ""));
        String wrong = assertThrows(IllegalArgumentException.class,
                () -> provider.open(Map.of("url", "jdbc:mysql://h/d?password=hidden"))).getMessage();
        assertEquals("postgres store setting 'url' must start with jdbc:postgresql:, was 'jdbc:mysql://h/d?password=***'", wrong);
    }

    @Test
    void anUnreachableServerIsStoreUnavailableNamingTheUrlWithoutItsPassword() {
        String url = "jdbc:postgresql://127.0.0.1:1/meerkat?user=meerkat&password=hidden-one";
        StoreUnavailableException error = assertThrows(StoreUnavailableException.class,
                () -> new PostgresStoreProvider().open(Map.of("url", url, "password", "hidden-two", "connectTimeoutMs", "1000")));
        assertTrue(error.getMessage().startsWith("postgres store at jdbc:postgresql://127.0.0.1:1/meerkat?user=meerkat&password=***"
                + " cannot be opened: "), error.getMessage());
        assertFalse(error.getMessage().contains("hidden"), error.getMessage());
        assertEquals("jdbc:postgresql://u:***@h/d?ssl=true&password=***;Password=***",
                PostgresStoreProvider.redact("jdbc:postgresql://u:p@h/d?ssl=true&password=x;Password=y"));
    }

    @Test
    void aNewDatabaseGetsTheSchemaOnceAndReportsItsOwnTablesSize() throws Exception {
        String url = TestPostgres.shared().newDatabase();
        try (RuntimeStore store = new PostgresStoreProvider().open(Map.of("url", url, "readers", "2"))) {
            StoreInfo info = store.info();
            assertEquals("postgres", info.provider());
            assertEquals(SchemaMigrator.latestVersion(), info.schemaVersion());
            assertEquals(0, info.sessions());
            assertTrue(info.sizeBytes() > 0, "size " + info.sizeBytes());
        }
        try (RuntimeStore reopened = new PostgresStoreProvider().open(Map.of("url", url))) {
            assertEquals(SchemaMigrator.latestVersion(), reopened.info().schemaVersion());
        }
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT version, script FROM meerkat_schema ORDER BY version")) {
            for (int version = 1; version <= SchemaMigrator.latestVersion(); version++) {
                assertTrue(rows.next(), "no row for version " + version);
                assertEquals(version, rows.getInt(1));
                assertEquals(SchemaMigrator.SCRIPTS.get(version - 1), rows.getString(2));
            }
            assertFalse(rows.next(), "the schema was applied twice");
        }
    }

    /**
     * Several launchers share one database (issue 13) and may start together: the first creates the schema,
     * the others wait for it and find it. Without a lock, two creating the schema at once failed to open.
     */
    @Test
    void runtimesOpeningANewDatabaseAtOnceAllOpenItOnTheSchemaMadeOnce() throws Exception {
        for (int round = 0; round < 5; round++) {
            String url = TestPostgres.shared().newDatabase();
            int opening = 4;
            CyclicBarrier together = new CyclicBarrier(opening);
            ExecutorService threads = Executors.newFixedThreadPool(opening);
            try {
                List<Future<Integer>> versions = new ArrayList<>();
                for (int i = 0; i < opening; i++) {
                    versions.add(threads.submit(() -> {
                        together.await(30, TimeUnit.SECONDS);
                        try (RuntimeStore store = new PostgresStoreProvider().open(Map.of("url", url, "readers", "1"))) {
                            return store.info().schemaVersion();
                        }
                    }));
                }
                for (Future<Integer> version : versions) {
                    assertEquals(SchemaMigrator.latestVersion(), version.get(60, TimeUnit.SECONDS), "round " + round);
                }
            } finally {
                threads.shutdownNow();
            }
            try (Connection connection = DriverManager.getConnection(url);
                 Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT count(*) FROM meerkat_schema")) {
                rows.next();
                assertEquals(SchemaMigrator.latestVersion(), rows.getInt(1), "each version applied once");
            }
        }
    }

    /**
     * A commit the server does not answer (here: waiting for a lock another client holds; the same for a
     * server frozen or cut off) fails after socketTimeoutMs instead of hanging its group for ever, and the
     * store goes on once the server answers again.
     */
    @Test
    void aCommitTheServerDoesNotAnswerFailsAfterTheSocketTimeoutAndTheNextSucceeds() throws Exception {
        String url = TestPostgres.shared().newDatabase();
        try (RuntimeStore store = new PostgresStoreProvider().open(Map.of("url", url, "socketTimeoutMs", "1000"))) {
            StoredSession first = RuntimeStoreConformanceTest.session(SessionId.random());
            try (Connection blocker = DriverManager.getConnection(url);
                 Statement statement = blocker.createStatement()) {
                blocker.setAutoCommit(false);
                statement.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");

                // Without a socket timeout the commit waits as long as the lock is held: here, for ever.
                StoreUnavailableException failure = assertTimeoutPreemptively(Duration.ofSeconds(20),
                        () -> assertThrows(StoreUnavailableException.class,
                                () -> store.commit(List.of(StoreBatch.of(new PutSession(first))))));

                assertTrue(failure.getMessage().contains("the commit failed"), failure.getMessage());
                blocker.rollback();
            }
            StoredSession second = RuntimeStoreConformanceTest.session(SessionId.random());
            store.commit(List.of(StoreBatch.of(new PutSession(second))));
            assertEquals(Map.of(second, List.of()), RuntimeStoreConformanceTest.loadAll(store));
        }
    }

    @Test
    void closingTheStoreClosesItsPoolAndItsConnectionsLeaveTheServer() throws Exception {
        String url = TestPostgres.shared().newDatabase();
        String database = url.replaceAll("^.*/([^/?]+)(\\?.*)?$", "$1");
        RuntimeStore store = new PostgresStoreProvider().open(Map.of("url", url));
        store.info();
        assertTrue(connectionsTo(url, database) >= 2, "the writer and a reader are connected");
        store.close();
        assertEquals(0, connectionsTo(url, database), "connections left after close");
    }

    @Test
    void aLoadOfMoreRowsThanOneFetchReadsEverySessionWithItsInputsInOrderAndExactly() throws Exception {
        String url = TestPostgres.shared().newDatabase();
        // 3 x 750 rows: more than two of LoadReader's fetches (1,024 rows each).
        int perSession = 750;
        Map<StoredSession, List<StoredInput>> expected = new LinkedHashMap<>();
        try (RuntimeStore store = new PostgresStoreProvider().open(Map.of("url", url))) {
            for (int s = 0; s < 3; s++) {
                StoredSession session = RuntimeStoreConformanceTest.session(SessionId.random());
                List<StoreBatch> batches = new ArrayList<>(List.of(StoreBatch.of(new PutSession(session))));
                List<StoredInput> inputs = new ArrayList<>();
                for (int i = 0; i < perSession; i++) {
                    StoredInput input = RuntimeStoreConformanceTest.stored(session.id(), i,
                            Input.prompt("row " + i + " \u00e9\u4e2d \uD83D\uDE00"), InputLifecycleState.QUEUED, null);
                    inputs.add(input);
                    batches.add(StoreBatch.of(new PutInput(input)));
                }
                store.commit(batches);
                expected.put(session, inputs);
            }
            // The inputs' cursor crosses two fetch boundaries while the sessions' one is read beside it.
            assertEquals(expected, RuntimeStoreConformanceTest.loadAll(store));
        }
    }

    @Test
    void connectionsTheServerDropsFailOneCallEachAndTheNextCallsGetNewOnes() throws Exception {
        String url = TestPostgres.shared().newDatabase();
        String database = url.replaceAll("^.*/([^/?]+)(\\?.*)?$", "$1");
        SessionId first = SessionId.random();
        SessionId second = SessionId.random();
        try (RuntimeStore store = new PostgresStoreProvider().open(Map.of("url", url))) {
            store.commit(List.of(StoreBatch.of(new PutSession(RuntimeStoreConformanceTest.session(first)))));
            assertEquals(1, store.info().sessions());

            assertTrue(terminateConnectionsTo(url, database) >= 2, "the writer and a reader were connected");

            // The writer's and the reader's sockets are gone: each fails once, whole, and is replaced.
            assertThrows(StoreUnavailableException.class, () -> store.commit(
                    List.of(StoreBatch.of(new PutSession(RuntimeStoreConformanceTest.session(second))))));
            assertThrows(StoreUnavailableException.class, store::info);
            store.commit(List.of(StoreBatch.of(new PutSession(RuntimeStoreConformanceTest.session(second)))));
            assertEquals(2, store.info().sessions());
        }
    }

    private static int terminateConnectionsTo(String url, String database) throws Exception {
        try (Connection connection = DriverManager.getConnection(TestPostgres.withDatabase(url, "postgres"));
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid))"
                     + " FROM pg_stat_activity WHERE datname = '" + database + "' AND application_name = 'meerkat'")) {
            row.next();
            return row.getInt(1);
        }
    }

    /** Connections to {@code database} other than the one asking. */
    private static int connectionsTo(String url, String database) throws Exception {
        try (Connection connection = DriverManager.getConnection(TestPostgres.withDatabase(url, "postgres"));
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '"
                     + database + "' AND application_name = 'meerkat'")) {
            row.next();
            return row.getInt(1);
        }
    }
}
