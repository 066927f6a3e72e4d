package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * A scheduler that refuses the loop's pass: the session ends as a stop would end it (waiters resolved,
 * inputs abandoned with a reason), and its executor is still closed, once, after the run in flight.
 */
class SchedulerRefusalTest {

    private static final CompletionOutcome REFUSED =
            new CompletionOutcome.RuntimeTerminated("scheduler refused the runtime loop");

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private final MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();

    @AfterEach
    void stop() {
        scheduler.refuse(false);
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void aRefusedWakeEndsTheSessionAndClosesItsExecutor() {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());
        scheduler.refuse(true);

        Submission submission = session.submit(Input.prompt("nobody can schedule me"));

        assertEquals(1, executor.closeCalls(), "the loop ended, so its executor is closed");
        assertEquals(REFUSED, submission.completion().getNow(null));
        InputStatus input = session.inputStatus(submission.inputId()).orElseThrow();
        assertEquals(InputLifecycleState.ABANDONED, input.state(), "the input is not left queued");
        assertEquals(AbandonReason.STOPPED, input.abandonReason());
        assertEquals(RuntimeState.STOPPED, session.state());
        assertEquals(0, executor.applyCalls());
        assertEquals(0, registry.pendingCount());
    }

    @Test
    void aRefusalAfterTheRunInFlightEndsClosesTheExecutorAfterThatRun() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());
        Submission running = session.submit(Input.prompt("in flight"));
        scheduler.runAll();
        ScriptedExecutor.PendingApply inFlight = executor.nextApply();
        Submission queued = session.submit(Input.prompt("queued behind it"));
        scheduler.refuse(true);

        inFlight.complete("done");

        assertEquals(1, executor.closeCalls(), "the executor is closed once its run has ended");
        // Issue 11, defect 8: the run had finished when the loop ended, so it is committed first.
        assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), running.completion().getNow(null));
        assertEquals(REFUSED, queued.completion().getNow(null));
        assertEquals(RuntimeState.STOPPED, session.state());
        assertFalse(executor.calledAfterClose());
        assertTrue(session.activeInputIds().isEmpty());
        assertEquals(0, registry.pendingCount());
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x2EF_05EDL);

    /** A pool that refuses a random share of the loop's passes. */
    private static final class FlakyScheduler implements Executor {
        private final ExecutorService pool = Executors.newFixedThreadPool(2);
        private final Random random;

        FlakyScheduler(long seed) {
            this.random = new Random(seed);
        }

        @Override
        public void execute(Runnable task) {
            boolean refuse;
            synchronized (random) {
                refuse = random.nextInt(50) == 0;
            }
            if (refuse) {
                throw new RejectedExecutionException("flaky");
            }
            pool.execute(task);
        }
    }

    /**
     * Submitters and cancels race a scheduler that refuses now and then: no waiter is left pending, no
     * input is left active, and every executor is closed once, never called after.
     */
    @RepeatedTest(3)
    void randomRefusalsLeaveNoWaiterPendingAndCloseEveryExecutor(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed;
        FlakyScheduler flaky = new FlakyScheduler(seed);
        TestRuntimes.RecordingFactory mixed =
                new TestRuntimes.RecordingFactory(() -> ScriptedExecutor.mixed(seed));
        InMemoryCompletionRegistry shared = new InMemoryCompletionRegistry();
        List<Submission> submissions = new CopyOnWriteArrayList<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        List<SessionHandle> sessions = new ArrayList<>();
        try (MeerkatRuntime flakyRuntime = TestRuntimes.builder(mixed, shared).scheduler(flaky).build()) {
            for (int i = 0; i < 50; i++) {
                sessions.add(flakyRuntime.createSession(SessionSpec.of(TestRuntimes.KIND)));
            }
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Random random = new Random(seed * 31 + t);
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < 2_000; i++) {
                            SessionHandle s = sessions.get(random.nextInt(sessions.size()));
                            try {
                                if (random.nextInt(10) < 8) {
                                    submissions.add(s.submit(Input.prompt("p")));
                                } else {
                                    s.control(new RunControlCommand.CancelCurrentRun("c"));
                                }
                            } catch (MeerkatException refused) {
                                // the session was ended by a refusal
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
        } finally {
            flaky.pool.shutdown();
        }
        for (Submission submission : submissions) {
            submission.completion().get(10, TimeUnit.SECONDS);
        }
        assertEquals(0, shared.pendingCount(), context);
        for (SessionHandle s : sessions) {
            assertTrue(s.activeInputIds().isEmpty(), "no input left active; " + context);
            ScriptedExecutor e = mixed.executorOf(s.id());
            assertEquals(1, e.closeCalls(), "executor closed once; " + context);
            assertFalse(e.calledAfterClose(), "no call after close; " + context);
        }
    }
}
