package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.UnknownExecutorException;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.testing.MutableCatalog;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Kinds from an {@link io.meerkat.runtime.api.spi.ExecutorCatalog}: lookup, withdrawal, progress reports. */
class ExecutorCatalogTest {

    private static final String PLUGGED = "plugged";

    /** A factory of one kind handing out held executors and remembering the contexts it saw. */
    private static final class HeldFactory implements ExecutorFactory {
        private final String kind;
        final Map<String, ScriptedExecutor> executors = new ConcurrentHashMap<>();
        final Map<String, ExecutorContext> contexts = new ConcurrentHashMap<>();

        HeldFactory(String kind) {
            this.kind = kind;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            ScriptedExecutor executor = new ScriptedExecutor(ScriptedExecutor.Mode.HOLD);
            executors.put(context.sessionId().toString(), executor);
            contexts.put(context.sessionId().toString(), context);
            return executor;
        }
    }

    private static MeerkatRuntime runtime(MutableCatalog catalog, ExecutorFactory... fixed) {
        MeerkatRuntimeBuilder builder = MeerkatRuntimeBuilder.newBuilder()
                .completionRegistry(new InMemoryCompletionRegistry())
                .executorCatalog(catalog);
        for (ExecutorFactory factory : fixed) {
            builder.executorFactory(factory);
        }
        return builder.build();
    }

    @Test
    void withdrawingAKindStopsItsSessionsWithTheReasonAndClosesTheirExecutorsBeforeReturning() throws Exception {
        MutableCatalog catalog = new MutableCatalog();
        HeldFactory plugged = new HeldFactory(PLUGGED);
        catalog.add(plugged);
        TestRuntimes.RecordingFactory fixed =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        try (MeerkatRuntime runtime = runtime(catalog, fixed)) {
            assertEquals(java.util.Set.of(PLUGGED, TestRuntimes.KIND), runtime.executorKinds());
            SessionHandle doomed = runtime.createSession(SessionSpec.of(PLUGGED));
            SessionHandle other = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            Submission inFlight = doomed.submit(Input.prompt("one"));
            ScriptedExecutor executor = plugged.executors.get(doomed.id().toString());
            executor.nextApply();
            Submission queued = doomed.submit(Input.prompt("two"));

            catalog.withdraw(PLUGGED, "plugin p stopped");

            assertEquals(1, executor.closeCalls(), "executor closed before withdraw returned");
            assertEquals(RuntimeState.STOPPED, doomed.state());
            assertEquals(new CompletionOutcome.RuntimeTerminated("plugin p stopped"),
                    inFlight.completion().get(10, TimeUnit.SECONDS));
            assertEquals(new CompletionOutcome.RuntimeTerminated("plugin p stopped"),
                    queued.completion().get(10, TimeUnit.SECONDS));
            assertEquals(java.util.Set.of(TestRuntimes.KIND), runtime.executorKinds());
            assertThrows(UnknownExecutorException.class, () -> runtime.createSession(SessionSpec.of(PLUGGED)));
            assertTrue(other.submit(Input.prompt("still here")).completion().get(10, TimeUnit.SECONDS)
                    instanceof CompletionOutcome.Completed, "sessions of other kinds keep working");
        }
    }

    @Test
    void aFixedFactoryWinsOverACatalogKindOfTheSameNameAndIsNotStoppedByItsWithdrawal() throws Exception {
        MutableCatalog catalog = new MutableCatalog();
        HeldFactory shadowed = new HeldFactory(TestRuntimes.KIND);
        catalog.add(shadowed);
        TestRuntimes.RecordingFactory fixed =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        try (MeerkatRuntime runtime = runtime(catalog, fixed)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            catalog.withdraw(TestRuntimes.KIND, "gone");
            assertTrue(shadowed.executors.isEmpty(), "the catalog's factory was never asked");
            assertTrue(session.submit(Input.prompt("hi")).completion().get(10, TimeUnit.SECONDS)
                    instanceof CompletionOutcome.Completed);
        }
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0xCA7A_1065L);

    @RepeatedTest(20)
    void aSessionCreatedWhileItsKindIsWithdrawnIsNeverLeftRunning(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String where = "seed " + seed + " (replay: -Dmeerkat.seed=" + BASE_SEED + ")";
        Random random = new Random(seed);
        MutableCatalog catalog = new MutableCatalog();
        catalog.add(new HeldFactory(PLUGGED));
        ExecutorService creators = Executors.newFixedThreadPool(4);
        try (MeerkatRuntime runtime = runtime(catalog)) {
            int attempts = 50 + random.nextInt(150);
            int withdrawAt = random.nextInt(attempts);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<SessionHandle>> created = new ArrayList<>();
            for (int i = 0; i < attempts; i++) {
                created.add(creators.submit(() -> {
                    start.await();
                    try {
                        return runtime.createSession(SessionSpec.of(PLUGGED));
                    } catch (UnknownExecutorException withdrawn) {
                        return null;
                    }
                }));
                if (i == withdrawAt) {
                    creators.submit(() -> {
                        start.await();
                        catalog.withdraw(PLUGGED, "withdrawn");
                        return null;
                    });
                }
            }
            start.countDown();
            creators.shutdown();
            assertTrue(creators.awaitTermination(30, TimeUnit.SECONDS), where);
            for (Future<SessionHandle> future : created) {
                SessionHandle session;
                try {
                    session = future.get();
                } catch (ExecutionException e) {
                    throw new AssertionError(where + ": createSession failed", e.getCause());
                }
                if (session != null && runtime.session(session.id()).isPresent()) {
                    assertEquals(RuntimeState.STOPPED, session.state(), where);
                }
            }
            for (SessionHandle session : runtime.sessions()) {
                assertEquals(RuntimeState.STOPPED, session.state(), where);
            }
        } finally {
            creators.shutdownNow();
        }
    }

    @Test
    void progressReportsBecomeRunEventsBetweenTheRunsStartAndEndAndLateOnesAreDropped() throws Exception {
        MutableCatalog catalog = new MutableCatalog();
        HeldFactory plugged = new HeldFactory(PLUGGED);
        catalog.add(plugged);
        try (MeerkatRuntime runtime = runtime(catalog)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(PLUGGED));
            List<RunEvent> runEvents = new CopyOnWriteArrayList<>();
            CountDownLatch completed = new CountDownLatch(1);
            session.events().subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                    subscription.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(RuntimeEventEnvelope item) {
                    if (item.event() instanceof RuntimeEvent.RunLifecycle lifecycle) {
                        runEvents.add(lifecycle.event());
                        if (lifecycle.event() instanceof RunEvent.RunCompleted) {
                            completed.countDown();
                        }
                    }
                }

                @Override
                public void onError(Throwable throwable) {
                }

                @Override
                public void onComplete() {
                }
            });
            Submission submission = session.submit(Input.prompt("work"));
            ScriptedExecutor.PendingApply apply = plugged.executors.get(session.id().toString()).nextApply();
            ExecutorContext context = plugged.contexts.get(session.id().toString());
            context.progress().onProgress(apply.runId(), "half way");
            context.progress().onProgress(RunId.random(), "not this run");
            apply.complete("done");
            submission.completion().get(10, TimeUnit.SECONDS);
            assertTrue(completed.await(10, TimeUnit.SECONDS));
            context.progress().onProgress(apply.runId(), "too late");

            List<String> kinds = runEvents.stream().map(e -> e.getClass().getSimpleName()).toList();
            assertEquals(List.of("RunStarted", "RunProgress", "BoundaryApplied", "RunCompleted"), kinds);
            assertEquals(new RunEvent.RunProgress(apply.runId(), "half way"), runEvents.get(1));
        }
    }

    @Test
    void aStoppedSessionNoLongerReferencesItsExecutor() throws Exception {
        MutableCatalog catalog = new MutableCatalog();
        HeldFactory plugged = new HeldFactory(PLUGGED);
        catalog.add(plugged);
        try (MeerkatRuntime runtime = runtime(catalog)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(PLUGGED));
            WeakReference<ScriptedExecutor> executor =
                    new WeakReference<>(plugged.executors.remove(session.id().toString()));
            plugged.contexts.clear();
            catalog.withdraw(PLUGGED, "unloading");
            assertTrue(runtime.session(session.id()).isPresent(), "the stopped session is still listed");
            for (int i = 0; i < 50 && executor.get() != null; i++) {
                System.gc();
                Thread.sleep(20); // gives the collector time; the loop ends as soon as the reference clears
            }
            assertNull(executor.get(), "the executor (and so its plugin's classes) can be collected");
        }
    }
}
