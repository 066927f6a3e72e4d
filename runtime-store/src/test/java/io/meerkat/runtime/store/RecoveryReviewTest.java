package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.session;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.stored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange.PutInput;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.testkit.ForwardingRuntimeStore;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of the faster recovery (LoadReader, StoreCodec v2, recover() taking sessions up during the load). */
class RecoveryReviewTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("store.db");
    }

    private static List<StoreBatch> newSession(int inputs) {
        StoredSession session = session(SessionId.random());
        List<StoreBatch> batches = new ArrayList<>(List.of(StoreBatch.of(new PutSession(session))));
        for (int i = 0; i < inputs; i++) {
            batches.add(StoreBatch.of(new PutInput(stored(session.id(), i, Input.prompt("p" + i),
                    InputLifecycleState.CONSUMED, null))));
        }
        return batches;
    }

    /** What a driver bug, a corrupt value or an OutOfMemoryError on the load thread looks like. */
    private static Connection throwingUnchecked(Connection connection, String method, int failAt, AtomicInteger calls) {
        return FaultyJdbc.failing(connection, method, failAt, calls,
                call -> new IllegalStateException("injected unchecked failure at " + call));
    }

    /**
     * At f6783e1 LoadReader.readAll caught only SQLException; anything else thrown on the load thread ended
     * it, its finally handed END, {@code failure} stayed null, and the caller returned as if the store had
     * ended (1 of 3 sessions). Fixed by af326f4 (catches RuntimeException | Error); kept as a regression test.
     */
    @Test
    void anUncheckedFailureOnTheLoadThreadFailsTheLoadInsteadOfEndingItEarly() {
        AtomicInteger calls = new AtomicInteger();
        try (JdbcRuntimeStore store = new SqliteStoreProvider().open(Map.of("path", file().toString()),
                UnaryOperator.identity(), connection -> throwingUnchecked(connection, "next", 1_500, calls))) {
            for (int s = 0; s < 3; s++) {
                store.commit(newSession(1_000));
            }
            Map<StoredSession, List<StoredInput>> loaded;
            try {
                loaded = loadAll(store);
            } catch (RuntimeException expected) {
                return;
            }
            fail("the load returned normally with " + loaded.size() + " of 3 sessions and "
                    + loaded.values().stream().mapToInt(List::size).sum() + " of 3000 inputs");
        }
    }

    /**
     * The same from the data alone: a session row whose id is not 16 bytes (an external edit, a bad
     * restore). The old load never read sessions.session_id and recovered every session; at f6783e1 the
     * BufferUnderflowException on the load thread made the load "succeed" with the sessions before that row
     * (none here: the short id sorts first). Since af326f4 the load fails instead (accepted here).
     */
    @Test
    void aMalformedSessionIdDoesNotMakeTheLoadEndSilently() throws Exception {
        try (JdbcRuntimeStore store = (JdbcRuntimeStore) new SqliteStoreProvider().open(Map.of("path", file().toString()))) {
            for (int s = 0; s < 3; s++) {
                store.commit(newSession(10));
            }
            try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file());
                 PreparedStatement put = raw.prepareStatement(
                         "INSERT INTO sessions (session_id, executor_kind, state, session_json) VALUES (?, 'echo', 'IDLE', ?)")) {
                put.setBytes(1, new byte[15]);
                put.setString(2, StoreCodec.write(session(SessionId.random())));
                put.executeUpdate();
            }
            Map<StoredSession, List<StoredInput>> loaded;
            try {
                loaded = loadAll(store);
            } catch (RuntimeException expected) {
                return;
            }
            // Before 3695956 the load read every session (4 of 4); a typed failure would do as well.
            assertEquals(4, loaded.size(), "the load returned normally with only some of the sessions");
        }
    }

    /**
     * recover() now takes each session up inside the load, and SessionDriver.restore reads the store
     * (RuntimeStore#receipt) for an APPLIED input with a staged run. The load holds a read permit for its
     * whole length; with {@code readers=1} the receipt read waits for it for ever (acquireUninterruptibly).
     * Before 3695956 every take-up ran after load() returned.
     */
    @Test
    void recoveryOfAnInputAppliedAtTheCrashDoesNotDeadlockWithOneReadConnection() {
        Map<String, String> settings = Map.of("path", file().toString(), "readers", "1");
        try (JdbcRuntimeStore store = (JdbcRuntimeStore) new SqliteStoreProvider().open(settings)) {
            // The first session is taken up inside the load (when the second one is read); the last one after it.
            StoredSession session = session(SessionId.random());
            store.commit(List.of(StoreBatch.of(new PutSession(session)), StoreBatch.of(new PutInput(
                    stored(session.id(), 0, Input.prompt("running at the crash"), InputLifecycleState.APPLIED, RunId.random())))));
            store.commit(newSession(1));
        }
        JdbcRuntimeStore reopened = (JdbcRuntimeStore) new SqliteStoreProvider().open(settings);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder()
                    .completionRegistry(new InMemoryCompletionRegistry())
                    .store(reopened)
                    .build()) {
                assertEquals(2, runtime.sessions().size());
            }
        }, "build() hangs: recovery's receipt read waits for the read permit its own load holds");
        reopened.close();
    }

    /** A catalog whose kinds can be withdrawn, as a plugin host unloading a plugin does. */
    private static final class Catalog implements ExecutorCatalog {
        final Map<String, ExecutorFactory> factories = new ConcurrentHashMap<>();
        final List<WithdrawalListener> listeners = new CopyOnWriteArrayList<>();

        @Override
        public Optional<ExecutorFactory> factory(String kind) {
            return Optional.ofNullable(factories.get(kind));
        }

        @Override
        public Set<String> kinds() {
            return Set.copyOf(factories.keySet());
        }

        @Override
        public void addWithdrawalListener(WithdrawalListener listener) {
            listeners.add(listener);
        }

        void withdraw(String kind) {
            factories.remove(kind);
            listeners.forEach(listener -> listener.kindsWithdrawn(Set.of(kind), "plugin stopped"));
        }
    }

    /**
     * recover() now resumes every session after the whole load, not right after its own take-up: a
     * RETIRED session stays taken up but not retired for the rest of the load. A plugin withdrawn in that
     * window stops it (non-durably, as designed); its deferred resumeAfterRecovery(RETIRED) then calls
     * retire() on a STOPPED session, which throws out of recover(), and build() fails and closes the runtime.
     * Before fe6b47d the window was one session's take-up.
     */
    @Test
    void aPluginWithdrawnWhileTheStoreIsStillBeingReadDoesNotFailTheStartup() {
        MemoryRuntimeStore memory = new MemoryRuntimeStore();
        StoredSession retired = new StoredSession(SessionId.parse("00000000-0000-7000-8000-000000000001"), LedgerExecutorFactory.KIND, Map.of(),
                RuntimeState.RETIRED, Instant.parse("2026-12-07T09:00:00Z"), null);
        StoredSession later = new StoredSession(SessionId.parse("00000000-0000-7000-8000-000000000002"), "other", Map.of(),
                RuntimeState.IDLE, Instant.parse("2026-12-07T09:00:00Z"), null);
        memory.commit(List.of(StoreBatch.of(new PutSession(retired)), StoreBatch.of(new PutSession(later))));
        Catalog catalog = new Catalog();
        catalog.factories.put(LedgerExecutorFactory.KIND, new LedgerExecutorFactory());
        ForwardingRuntimeStore store = new ForwardingRuntimeStore(memory) {
            @Override
            public void load(StoreVisitor visitor) {
                delegate.load(new StoreVisitor() {
                    private int sessions;

                    @Override
                    public void session(StoredSession session) {
                        visitor.session(session);
                        if (++sessions == 2) {
                            // The first (RETIRED) session is taken up, not yet resumed: the plugin goes now.
                            catalog.withdraw(LedgerExecutorFactory.KIND);
                        }
                    }

                    @Override
                    public void input(StoredInput input) {
                        visitor.input(input);
                    }
                });
            }
        };
        // Memory store sessions are visited in id order: the RETIRED one comes first.
        assertEquals(retired.id(), loadAll(memory).keySet().iterator().next().id());

        try (MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder()
                .completionRegistry(new InMemoryCompletionRegistry())
                .executorCatalog(catalog)
                .store(store)
                .build()) {
            assertEquals(2, runtime.sessions().size());
        }
    }
}
