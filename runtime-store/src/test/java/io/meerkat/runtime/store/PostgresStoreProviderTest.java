package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.store.testpg.TestPostgres;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
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
            assertEquals(1, info.schemaVersion());
            assertEquals(0, info.sessions());
            assertTrue(info.sizeBytes() > 0, "size " + info.sizeBytes());
        }
        try (RuntimeStore reopened = new PostgresStoreProvider().open(Map.of("url", url))) {
            assertEquals(1, reopened.info().schemaVersion());
        }
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT version, script FROM meerkat_schema")) {
            assertTrue(rows.next());
            assertEquals(1, rows.getInt(1));
            assertEquals("V1__runtime_store.sql", rows.getString(2));
            assertFalse(rows.next(), "the schema was applied twice");
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
