package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * An input admitted while a run is active gets no wake (the policy wakes only an idle session), so
 * the loop must look at the lanes again however that run ends, or the input waits for a wake that
 * may never come.
 */
class AdmissionDuringRunTest {

    @Test
    void anInputAdmittedDuringARunThatFailsStillRuns() throws Exception {
        ManualScheduler scheduler = new ManualScheduler();
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
        InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
        MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();
        try {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            ScriptedExecutor executor = factory.executorOf(session.id());
            Submission failing = session.submit(Input.prompt("fails once"));
            scheduler.runAll();
            ScriptedExecutor.PendingApply inFlight = executor.nextApply();
            Submission admittedMeanwhile = session.submit(Input.prompt("admitted during the run"));
            assertEquals(0, scheduler.pending(), "no wake while a run is active");

            executor.mode(ScriptedExecutor.Mode.ECHO);
            inFlight.result().completeExceptionally(new IllegalStateException("boom"));
            scheduler.runAll();

            assertEquals(new CompletionOutcome.Completed(RunResult.of("admitted during the run")),
                    admittedMeanwhile.completion().getNow(null), "the loop went on after the failed run");
            assertEquals(new CompletionOutcome.Completed(RunResult.of("fails once")), failing.completion().getNow(null),
                    "the waiter learns the outcome of the retry, not of the failed run");
            assertEquals(InputLifecycleState.CONSUMED,
                    session.inputStatus(failing.inputId()).orElseThrow().state(), "the failed input was retried");
            assertEquals(0, registry.pendingCount());
        } finally {
            scheduler.autoRun();
            runtime.close();
        }
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0xAD_0175L);

    /**
     * Submitters race runs that finish at once, later, or fail. Without any stop, every waiter must be
     * resolved and every input must end up terminal.
     */
    @RepeatedTest(4)
    void everyWaiterIsResolvedWithoutAStop(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed;
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> ScriptedExecutor.mixed(seed));
        InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
        List<Submission> submissions = new CopyOnWriteArrayList<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        // Every other repetition retries failed runs after a real (short) backoff, on the runtime's own timer.
        RetryPolicy retry = repetition.getCurrentRepetition() % 2 == 0
                ? RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(4)) : TestRuntimes.NO_BACKOFF;
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).retryPolicy(retry).build()) {
            List<SessionHandle> sessions = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                sessions.add(runtime.createSession(SessionSpec.of(TestRuntimes.KIND)));
            }
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Random random = new Random(seed * 31 + t);
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < 1_500; i++) {
                            SessionHandle s = sessions.get(random.nextInt(sessions.size()));
                            Input input = random.nextBoolean() ? Input.prompt("p")
                                    : new Input.PeerMessage(io.meerkat.runtime.api.InputHeader.from(
                                            io.meerkat.runtime.api.InputSource.PEER), "peer", "m");
                            submissions.add(s.submit(input));
                        }
                    } catch (RuntimeException e) {
                        unexpected.add(e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread thread : threads) {
                thread.join(30_000);
                assertFalse(thread.isAlive(), "worker hung; " + context);
            }
            assertEquals(List.of(), unexpected, context);
            CompletableFuture<?>[] all = submissions.stream().map(Submission::completion)
                    .toArray(CompletableFuture[]::new);
            try {
                CompletableFuture.allOf(all).get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                long pending = submissions.stream().filter(s -> !s.completion().isDone()).count();
                throw new AssertionError(pending + " waiters still pending without any stop; " + context);
            }
            for (SessionHandle s : sessions) {
                assertTrue(s.activeInputIds().isEmpty(), "no input left queued; " + context);
            }
            for (Submission submission : submissions) {
                assertNotNull(submission.completion().join(), context);
            }
            assertEquals(0, registry.pendingCount(), context);
            assertInstanceOf(CompletionOutcome.class, submissions.get(0).completion().join());
        }
    }
}
