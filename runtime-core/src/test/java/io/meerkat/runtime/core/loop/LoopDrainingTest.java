package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The loop after a stop, while the run in flight has not ended yet ("draining"). The stop is the last
 * command: {@code [a, stop, b]} gets {@code a} and the stop to the executor, and {@code b} is refused, never
 * delivered, as in Meerkat 0.5; the loop waits for the run without spinning and closes the executor once.
 */
class LoopDrainingTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.PARK));
    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private MeerkatRuntime runtime;
    private SessionHandle session;
    private ScriptedExecutor executor;

    @BeforeEach
    void start() {
        runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();
        session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        executor = factory.executorOf(session.id());
    }

    @AfterEach
    void stop() {
        executor.releaseAll();
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void theStopIsTheLastCommandAndTheLoopWaitsForTheRunWithoutSpinning() throws Exception {
        Submission parked = session.submit(Input.prompt("ignores the stop"));
        scheduler.runAll();
        ScriptedExecutor.PendingApply inFlight = executor.nextApply();

        session.control(new RunControlCommand.StopRuntimeExecutor("stop"));
        scheduler.runAll();
        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime stopped"), parked.completion().getNow(null));
        assertEquals(RuntimeState.STOPPED, session.state());

        assertThrows(RuntimeNotReadyException.class,
                () -> session.control(new RunControlCommand.CancelCurrentRun("after the stop")),
                "refused, not accepted and then dropped");
        session.control(new RunControlCommand.StopRuntimeExecutor("again"));
        int passes = scheduler.runAtMost(20);

        assertTrue(passes < 20, "a draining loop must not reschedule itself forever");
        assertEquals(0, scheduler.pending());
        assertEquals(List.of(new RunControlCommand.StopRuntimeExecutor("stop")), executor.controls(),
                "nothing reaches the executor after the stop");
        assertEquals(0, executor.closeCalls(), "the executor is not closed under a run in flight");

        inFlight.complete("late");
        scheduler.runAll();

        assertEquals(1, executor.closeCalls());
        assertFalse(executor.calledAfterClose());
        assertEquals(0, registry.pendingCount());
    }

    @Test
    void aCommandSentBehindAStopNeverReachesTheExecutor() {
        RunControlCommand a = new RunControlCommand.CancelCurrentRun("a");
        RunControlCommand stop = new RunControlCommand.StopRuntimeExecutor("stop");

        session.control(a);
        session.control(stop);
        assertThrows(RuntimeNotReadyException.class, () -> session.control(new RunControlCommand.CancelCurrentRun("b")));
        scheduler.runAll();

        assertEquals(List.of(a, stop), executor.controls());
        assertEquals(RuntimeState.STOPPED, session.state());
        assertEquals(1, executor.closeCalls());
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0xD8A1_4E5L);

    /**
     * Submits, cancels, stops and run completions race on sessions whose executor ignores controls. Every
     * cancel the session accepted must reach its executor before the executor is closed, once.
     */
    @RepeatedTest(3)
    void everyAcceptedCommandReachesTheExecutorBeforeItIsClosed(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed;
        TestRuntimes.RecordingFactory parking =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.PARK));
        InMemoryCompletionRegistry shared = new InMemoryCompletionRegistry();
        List<Submission> submissions = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.Map<SessionHandle, java.util.concurrent.atomic.AtomicInteger> acceptedCancels =
                new java.util.concurrent.ConcurrentHashMap<>();
        List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<SessionHandle> sessions = new java.util.ArrayList<>();
        try (MeerkatRuntime real = TestRuntimes.builder(parking, shared).build()) {
            for (int i = 0; i < 40; i++) {
                SessionHandle s = real.createSession(SessionSpec.of(TestRuntimes.KIND));
                sessions.add(s);
                acceptedCancels.put(s, new java.util.concurrent.atomic.AtomicInteger());
            }
            List<Thread> threads = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                java.util.Random random = new java.util.Random(seed * 31 + t);
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < 3_000; i++) {
                            SessionHandle s = sessions.get(random.nextInt(sessions.size()));
                            int roll = random.nextInt(100);
                            try {
                                if (roll < 40) {
                                    submissions.add(s.submit(Input.prompt("p")));
                                } else if (roll < 75) {
                                    s.control(new RunControlCommand.CancelCurrentRun("c"));
                                    acceptedCancels.get(s).incrementAndGet();
                                } else if (roll < 78) {
                                    s.control(new RunControlCommand.StopRuntimeExecutor("s"));
                                } else {
                                    ScriptedExecutor.PendingApply apply = parking.executorOf(s.id()).pollApply();
                                    if (apply != null) {
                                        apply.complete("done");
                                    }
                                }
                            } catch (io.meerkat.runtime.api.MeerkatException refused) {
                                // a stopped session refuses input and commands
                            }
                        }
                    } catch (Throwable e) {
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
            for (SessionHandle s : sessions) {
                s.control(new RunControlCommand.StopRuntimeExecutor("end"));
                parking.executorOf(s.id()).releaseAll();
            }
        }
        for (Submission submission : submissions) {
            assertTrue(submission.completion().isDone(), "waiter left pending; " + context);
        }
        assertEquals(0, shared.pendingCount(), context);
        for (SessionHandle s : sessions) {
            ScriptedExecutor e = parking.executorOf(s.id());
            long delivered = e.controls().stream().filter(c -> c instanceof RunControlCommand.CancelCurrentRun).count();
            assertEquals(acceptedCancels.get(s).get(), delivered,
                    "every accepted cancel is delivered (session " + s.id() + "); " + context);
            assertEquals(1, e.closeCalls(), "closed once; " + context);
            assertFalse(e.calledAfterClose(), "no call after close; " + context);
        }
    }
}
