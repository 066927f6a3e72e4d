package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Review defect (issue 12): STOPPED and DESTROYED sessions never left the store (only an explicit removal
 * took them out), so every start took them up again, for ever. Now the store's pruning removes a session
 * that ended more than the retention age ago, with all its rows, also one recovered ended. The prune is run
 * by hand here: the test's timer keeps the tasks it is given instead of running them.
 */
class EndedSessionPruneTest {

    private static final Duration EVERY = Duration.ofMinutes(7);

    private final LedgerExecutorFactory executors = new LedgerExecutorFactory();
    /** The store prunes the runtime schedules, every {@link #EVERY} (the only task of that delay). */
    private final List<Runnable> prunes = new CopyOnWriteArrayList<>();

    private MeerkatRuntime runtimeOn(RuntimeStore store, Duration maxAge) {
        return MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(executors)
                .completionRegistry(new InMemoryCompletionRegistry())
                .store(store)
                .storeRetention(maxAge, EVERY)
                .blockingExecutor(Runnable::run)
                .delayScheduler((task, delay, unit) -> {
                    if (unit.toNanos(delay) == EVERY.toNanos()) {
                        prunes.add(task);
                    }
                    return new CompletableFuture<>();
                })
                .build();
    }

    /** Runs the prune the runtime scheduled last (it schedules the next one as it ends). */
    private void prune() {
        assertFalse(prunes.isEmpty(), "no prune was scheduled");
        prunes.remove(prunes.size() - 1).run();
    }

    private static Set<SessionId> storedSessions(RuntimeStore store) {
        return loadAll(store).keySet().stream().map(StoredSession::id).collect(Collectors.toSet());
    }

    @Test
    void sessionsEndedLongerAgoThanTheRetentionAgeLeaveTheStoreAndTheRuntime() throws Exception {
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            SessionId stopped;
            SessionId destroyed;
            SessionId live;
            try (MeerkatRuntime runtime = runtimeOn(store, Duration.ZERO)) {
                SessionHandle first = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                first.submit(Input.prompt("done")).completion().get(10, TimeUnit.SECONDS);
                first.runtimeControl(new RuntimeControlCommand.Stop());
                stopped = first.id();
                SessionHandle second = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                second.destroy();
                destroyed = second.id();
                live = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND)).id();
                assertEquals(Set.of(stopped, destroyed, live), storedSessions(store));

                prune();

                assertEquals(Set.of(live), storedSessions(store), "ended sessions kept past the retention age");
                assertTrue(runtime.session(stopped).isEmpty());
                assertTrue(runtime.session(destroyed).isEmpty());
                assertTrue(runtime.session(live).isPresent());
            }
        }
    }

    @Test
    void aRecoveredEndedSessionCountsFromItsLastStoredChangeNotFromTheRestart() throws Exception {
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            SessionId stopped;
            try (MeerkatRuntime runtime = runtimeOn(store, Duration.ofDays(1))) {
                SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                session.submit(Input.prompt("done")).completion().get(10, TimeUnit.SECONDS);
                session.runtimeControl(new RuntimeControlCommand.Stop());
                stopped = session.id();
            }
            // Within a day of its end: kept by a runtime with a day's retention.
            try (MeerkatRuntime runtime = runtimeOn(store, Duration.ofDays(1))) {
                prune();
                assertTrue(runtime.session(stopped).isPresent());
            }
            assertEquals(Set.of(stopped), storedSessions(store));
            // Ended before now: gone with a retention of none, although it was recovered just now.
            try (MeerkatRuntime runtime = runtimeOn(store, Duration.ZERO)) {
                assertTrue(runtime.session(stopped).isPresent());
                prune();
                assertTrue(runtime.session(stopped).isEmpty());
            }
            assertEquals(Set.of(), storedSessions(store));
        }
    }
}
