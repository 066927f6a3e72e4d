package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.session;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.stored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.RuntimeStoreProvider;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.StoreChange.PutInput;
import io.meerkat.runtime.api.spi.StoreChange.PutOutcome;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sqlite store when writing fails: an injected I/O error at the n-th statement batch or at the n-th
 * commit, and a database locked by another connection. Each failed commit throws
 * {@link StoreUnavailableException}, writes nothing, leaves reads working, and the next commit succeeds.
 */
class SqliteStoreFaultTest {

    @TempDir
    Path dir;

    private static RuntimeStore openStore(Path folder) {
        return new SqliteStoreProvider().open(Map.of("path", folder.resolve("store.db").toString()));
    }

    /** Fails the {@code failAt}-th call (from 1) of {@code method} on the writer or its statements. */
    private JdbcRuntimeStore failing(String method, int failAt, AtomicInteger calls) {
        return new SqliteStoreProvider().open(Map.of("path", dir.resolve("store.db").toString()),
                connection -> ioErrorAt(connection, method, failAt, calls));
    }

    /** The same for the store's read connections. */
    private JdbcRuntimeStore failingReads(String method, int failAt, AtomicInteger calls) {
        return new SqliteStoreProvider().open(Map.of("path", dir.resolve("store.db").toString()),
                UnaryOperator.identity(), connection -> ioErrorAt(connection, method, failAt, calls));
    }

    private static Connection ioErrorAt(Connection connection, String method, int failAt, AtomicInteger calls) {
        return FaultyJdbc.failing(connection, method, failAt, calls, call -> new SQLException("injected I/O error at " + call));
    }

    /** A commit of a new session with {@code inputs} inputs and an outcome: three statement batches. */
    private static List<StoreBatch> newSession(int inputs) {
        StoredSession session = session(SessionId.random());
        StoreBatch batch = StoreBatch.of(new PutSession(session));
        List<StoreBatch> batches = new java.util.ArrayList<>(List.of(batch));
        StoredInput last = null;
        for (int i = 0; i < inputs; i++) {
            last = stored(session.id(), i, Input.prompt("p" + i), InputLifecycleState.CONSUMED, null);
            batches.add(StoreBatch.of(new PutInput(last)));
        }
        batches.add(StoreBatch.of(new PutOutcome(session.id(), last.inputId(), new CompletionOutcome.CompletedWithoutResult())));
        return batches;
    }

    @Test
    void aFailedStatementBatchMidCommitWritesNothingAndTheNextCommitSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        // Commit 1 runs batches 1-3; commit 2 fails at its second (the inputs, after the session was written).
        try (JdbcRuntimeStore store = failing("executeBatch", 5, calls)) {
            store.commit(newSession(3));
            var before = loadAll(store);

            StoreUnavailableException failure = assertThrows(StoreUnavailableException.class, () -> store.commit(newSession(3)));

            assertTrue(failure.getMessage().contains("injected I/O error at executeBatch #5"), failure.getMessage());
            assertTrue(failure.getMessage().startsWith("sqlite store: the commit failed and wrote nothing"), failure.getMessage());
            assertEquals(before, loadAll(store), "nothing of the failed commit");
            store.commit(newSession(2));
            assertEquals(before.size() + 1, loadAll(store).size());
        }
        try (RuntimeStore reopened = openStore(dir)) {
            assertEquals(2, loadAll(reopened).size(), "after a reopen: the two commits that succeeded");
        }
    }

    @Test
    void aLoadThatFailsInTheDatabaseHalfWayFailsTypedAndTheNextLoadReadsEverything() {
        AtomicInteger calls = new AtomicInteger();
        // Three sessions of 1,000 inputs: row 1,500 is well past the first chunks the load hands on.
        try (JdbcRuntimeStore store = failingReads("next", 1_500, calls)) {
            for (int s = 0; s < 3; s++) {
                store.commit(newSession(1_000));
            }

            StoreUnavailableException failure = assertThrows(StoreUnavailableException.class, () -> loadAll(store));

            assertTrue(failure.getMessage().contains("load failed: injected I/O error at next #1500"), failure.getMessage());
            var all = loadAll(store);
            assertEquals(3, all.size());
            all.values().forEach(inputs -> assertEquals(1_000, inputs.size()));
            assertNoLoadThreadLeft();
        }
    }

    @Test
    void aVisitorThatThrowsEndsTheLoadWithItsOwnExceptionAndTheStoreGoesOn() {
        try (JdbcRuntimeStore store = (JdbcRuntimeStore) openStore(dir)) {
            for (int s = 0; s < 3; s++) {
                store.commit(newSession(1_000));
            }
            IllegalStateException thrown = new IllegalStateException("the visitor gives up");
            AtomicInteger visited = new AtomicInteger();

            IllegalStateException caught = assertThrows(IllegalStateException.class, () -> store.load(new StoreVisitor() {
                @Override
                public void session(StoredSession session) {
                }

                @Override
                public void input(StoredInput input) {
                    if (visited.incrementAndGet() == 10) {
                        throw thrown;
                    }
                }
            }));

            assertSame(thrown, caught);
            assertNoLoadThreadLeft();
            assertEquals(3, loadAll(store).size());
        }
    }

    @Test
    void aRowThatCannotBeDecodedEndsTheLoadWithWhyAndTheStoreGoesOn() throws SQLException {
        try (JdbcRuntimeStore store = (JdbcRuntimeStore) openStore(dir)) {
            for (int s = 0; s < 3; s++) {
                store.commit(newSession(1_000));
            }
            try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("store.db"));
                 Statement statement = connection.createStatement()) {
                statement.execute("UPDATE inputs SET input_json = '{\"type\":\"no such kind\"}' WHERE seq = 500");
            }

            IllegalStateException failure = assertThrows(IllegalStateException.class, () -> loadAll(store));

            assertTrue(failure.getMessage().startsWith("stored Input cannot be read"), failure.getMessage());
            assertNoLoadThreadLeft();
            assertEquals(3, store.info().sessions(), "reads go on");
        }
    }

    /** The load joins its reader thread before it returns or throws. */
    private static void assertNoLoadThreadLeft() {
        assertEquals(List.of(), Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("meerkat-store-load")).toList());
    }

    @Test
    void aFailedCommitCallWritesNothingAndTheNextCommitSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        // Opening the store commits once for the schema table and once per schema version.
        int opening = 1 + SchemaMigrator.latestVersion();
        try (JdbcRuntimeStore store = failing("commit", opening + 2, calls)) {
            store.commit(newSession(1));
            var before = loadAll(store);

            assertThrows(StoreUnavailableException.class, () -> store.commit(newSession(4)));

            assertEquals(before, loadAll(store));
            assertEquals(1, store.info().sessions(), "reads go on");
            store.commit(newSession(1));
            assertEquals(2, store.info().sessions());
        }
    }

    @Test
    void aDatabaseLockedByAnotherConnectionFailsWritesNotReadsUntilItIsReleased() throws SQLException {
        Path file = dir.resolve("store.db");
        try (RuntimeStore store = new SqliteStoreProvider().open(Map.of("path", file.toString(), "busyTimeoutMs", "50"));
             Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement lock = other.createStatement()) {
            store.commit(newSession(1));
            var before = loadAll(store);
            lock.execute("BEGIN EXCLUSIVE");

            StoreUnavailableException failure = assertThrows(StoreUnavailableException.class, () -> store.commit(newSession(1)));

            assertTrue(failure.getMessage().contains("SQLITE_BUSY"), failure.getMessage());
            assertEquals(before, loadAll(store), "reads go on while writes are refused");
            lock.execute("ROLLBACK");
            store.commit(newSession(1));
            assertEquals(2, store.info().sessions());
        }
    }

    @Test
    void readsGoOnWhileACommitIsInProgressAndSeeItOnlyOnceItCommitted() throws Exception {
        try (JdbcRuntimeStore store = new SqliteStoreProvider().open(Map.of("path", dir.resolve("store.db").toString()),
                connection -> connection)) {
            store.commit(newSession(1));
            CountDownLatch inProgress = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            store.beforeCommit(() -> {
                inProgress.countDown();
                try {
                    assertTrue(release.await(30, TimeUnit.SECONDS), "the test never released the commit");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            });
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> store.commit(newSession(5)));
            try {
                assertTrue(inProgress.await(30, TimeUnit.SECONDS));
                assertEquals(1, loadAll(store).size(), "a read during the commit sees what was committed before it");
                assertEquals(1, store.info().sessions());
            } finally {
                release.countDown();
            }
            writing.get(30, TimeUnit.SECONDS);
            assertEquals(2, loadAll(store).size());
        }
    }

    @Test
    void everyProviderIsFoundByNameAndBadSettingsAreRefusedClearly() throws Exception {
        Map<String, RuntimeStoreProvider> providers = ServiceLoader.load(RuntimeStoreProvider.class).stream()
                .map(ServiceLoader.Provider::get).collect(Collectors.toMap(RuntimeStoreProvider::name, p -> p));
        assertEquals(List.of("memory", "postgres", "sqlite"), providers.keySet().stream().sorted().toList());

        RuntimeStoreProvider sqlite = providers.get("sqlite");
        assertEquals("the sqlite store needs the setting 'path' (the database file)",
                assertThrows(IllegalArgumentException.class, () -> sqlite.open(Map.of())).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> sqlite.open(Map.of("path", "x", "synchronus", "FULL")))
                .getMessage().startsWith("unknown sqlite store setting 'synchronus'"));
        assertEquals("sqlite store setting 'synchronous' must be FULL or NORMAL, was 'OFF'",
                assertThrows(IllegalArgumentException.class, () -> sqlite.open(Map.of("path", "x", "synchronous", "OFF"))).getMessage());
        assertEquals("store setting 'readers' must be a positive whole number, was '0'",
                assertThrows(IllegalArgumentException.class, () -> sqlite.open(Map.of("path", "x", "readers", "0"))).getMessage());

        Path blocker = Files.writeString(dir.resolve("a-file"), "not a folder");
        StoreUnavailableException unwritable = assertThrows(StoreUnavailableException.class,
                () -> sqlite.open(Map.of("path", blocker.resolve("store.db").toString())));
        assertTrue(unwritable.getMessage().contains("cannot create the folder"), unwritable.getMessage());

        try (RuntimeStore store = sqlite.open(Map.of("path", dir.resolve("nested/deeper/store.db").toString(), "synchronous", "normal"))) {
            assertEquals(SchemaMigrator.latestVersion(), store.info().schemaVersion());
            assertTrue(Files.exists(dir.resolve("nested/deeper/store.db")));
        }
    }

    @Test
    void aStoreWithANewerSchemaIsRefusedNotWritten() throws SQLException {
        Path file = dir.resolve("store.db");
        openStore(dir).close();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO meerkat_schema (version, script, applied_at) VALUES (99, 'V99__future.sql', 'later')");
        }
        StoreUnavailableException refused = assertThrows(StoreUnavailableException.class, () -> openStore(dir));
        assertInstanceOf(IllegalStateException.class, refused.getCause());
        assertTrue(refused.getMessage().contains("schema is version 99, newer than this runtime knows ("
                + SchemaMigrator.latestVersion() + ")"), refused.getMessage());
        assertFalse(refused.getMessage().isBlank());
    }
}
