package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualDelays;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Review: a run's time limit must never end a run that began after the limit fired. */
/**
 * Commands that reach the loop late: a run's time limit firing as the run ends, and a cancel sent while
 * idle but queued only after the next run began, must not end a run that began after them (the race is
 * forced by holding the loop's enqueue gate); and durations too long for nanoseconds must not end a session.
 */
class LateControlAndLongDurationTest {

    private static final Duration LIMIT = Duration.ofSeconds(30);

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ManualDelays delays = new ManualDelays();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private final MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
            .scheduler(scheduler).delayScheduler(delays).maxBatchSize(1).build();

    @AfterEach
    void close() {
        factory.all().values().forEach(ScriptedExecutor::releaseAll);
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void aLimitThatFiresAsItsRunEndsDoesNotCancelTheNextRun() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withMaxRunDuration(LIMIT));
        ScriptedExecutor executor = factory.executorOf(session.id());
        Submission a = session.submit(Input.prompt("a"));
        scheduler.runAll();
        ScriptedExecutor.PendingApply r1 = executor.nextApply();
        Submission b = session.submit(Input.prompt("b"));   // queued behind r1

        Object gate = field(loopOf(session), "enqueueGate");
        Thread timer;
        ScriptedExecutor.PendingApply r2;
        synchronized (gate) {
            // The timer fires r1's limit: timeOut reads activeRunId() == r1, then waits for the gate.
            timer = new Thread(delays::fireAll, "test-timer");
            timer.start();
            while (timer.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            // Meanwhile r1 completes in time and the loop starts r2 (the limit's cancel(false) is too late).
            r1.complete("a done");
            scheduler.runAll();
            r2 = executor.nextApply();
            assertNotEquals(r1.runId(), r2.runId());
        }
        timer.join(10_000);
        scheduler.runAll();   // the pass that drains the control channel

        assertEquals(List.of(), executor.controls(),
                "r1's time-limit cancel reached the executor while r2 (begun after it fired) was in flight");
        assertFalse(r2.result().isCompletedExceptionally(), "r2 was ended by r1's time limit");
    }

    @Test
    void aVeryLongLimitDoesNotKillTheSession() throws Exception {
        // Accepted by SessionSpec (positive), and by RunLimits.validate for meerkat.runtime.max-run-duration-ms.
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND)
                .withMaxRunDuration(Duration.ofMillis(Long.MAX_VALUE)));
        session.submit(Input.prompt("a"));
        scheduler.runAll();
        assertEquals(RuntimeState.RUNNING, session.state(),
                "Duration.toNanos() overflows in limitDuration; the loop fails and stops the session");
    }

    @Test
    void aVeryLongMaxBackoffDoesNotKillTheSessionAtItsFirstFailure() throws Exception {
        // Accepted by RetryPolicy and by RunLimits.validate (meerkat.runtime.retry.max-backoff-ms).
        io.meerkat.runtime.core.policy.RetryPolicy policy = new io.meerkat.runtime.core.policy.RetryPolicy(
                3, Duration.ofMillis(200), 2.0, Duration.ofMillis(Long.MAX_VALUE), 0.2);
        MeerkatRuntime own = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
                .scheduler(scheduler).delayScheduler(delays).retryPolicy(policy).build();
        try {
            SessionHandle session = own.createSession(SessionSpec.of(TestRuntimes.KIND));
            ScriptedExecutor executor = factory.executorOf(session.id());
            Submission s = session.submit(Input.prompt("flaky"));
            scheduler.runAll();
            executor.nextApply().result().completeExceptionally(new IllegalStateException("transient"));
            scheduler.runAll();
            assertEquals(RuntimeState.ATTACHED, session.state(),
                    "backoffAfter overflows in Duration.toNanos(); the loop fails and stops the session; waiter got "
                            + s.completion().getNow(null));
        } finally {
            scheduler.autoRun();
            own.close();
        }
    }

    @Test
    void aCancelSentWhileIdleDoesNotCancelARunThatBeganBeforeItWasQueued() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());
        Object gate = field(loopOf(session), "enqueueGate");
        Thread sender;
        ScriptedExecutor.PendingApply r1;
        synchronized (gate) {
            // No run is in flight: sendControl reads activeRunId() == null, then waits for the gate.
            sender = new Thread(() -> session.control(new RunControlCommand.CancelCurrentRun("stale")), "test-sender");
            sender.start();
            while (sender.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            session.submit(Input.prompt("a"));
            scheduler.runAll();
            r1 = executor.nextApply();   // r1 began after the cancel was sent
        }
        sender.join(10_000);
        scheduler.runAll();
        assertFalse(r1.result().isCompletedExceptionally(),
                "a cancel sent while no run was active ended a run that began after it (" + executor.controls() + ")");
    }

    static RuntimeLoop loopOf(SessionHandle session) throws Exception {
        for (Class<?> c = session.getClass(); c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getType() == RuntimeLoop.class) {
                    f.setAccessible(true);
                    return (RuntimeLoop) f.get(session);
                }
            }
        }
        throw new AssertionError("no loop in " + session.getClass());
    }

    static Object field(Object target, String name) throws Exception {
        Field f = target.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
    }
}
