package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.PermanentFailureException;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.runtime.core.testing.ManualDelays;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A failed run's inputs are retried after a backoff, up to the policy's attempts; their waiters learn
 * only the final outcome; a permanent failure is not retried; control commands are served meanwhile.
 */
class RetryTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ManualDelays delays = new ManualDelays();
    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private MeerkatRuntime runtime;
    private SessionHandle session;
    private ScriptedExecutor executor;

    @BeforeEach
    void start() {
        runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).delayScheduler(delays)
                .retryPolicy(RetryPolicy.defaults()).build();
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
    void aWaiterLearnsTheOutcomeOfTheRetryNotOfTheFailedRun() throws Exception {
        Submission submission = session.submit(Input.prompt("hello"));
        scheduler.runAll();
        fail(executor.nextApply(), new IllegalStateException("flaky"));

        assertFalse(submission.completion().isDone(), "a run that will be retried resolves no waiter");
        InputStatus status = status(submission);
        assertEquals(InputLifecycleState.QUEUED, status.state());
        assertEquals(1, status.attempts());
        assertNull(executor.pollApply(), "no retry before the backoff has passed");

        delays.fireAll();
        scheduler.runAll();
        executor.nextApply().complete("hello back");
        scheduler.runAll();

        assertEquals(new CompletionOutcome.Completed(RunResult.of("hello back")), submission.completion().getNow(null));
        assertEquals(InputLifecycleState.CONSUMED, status(submission).state());
        assertEquals(0, registry.pendingCount());
    }

    @Test
    void theBackoffDoublesAndTheLastAttemptAbandonsTheInput() throws Exception {
        Submission submission = session.submit(Input.prompt("hello"));
        scheduler.runAll();

        fail(executor.nextApply(), new IllegalStateException("flaky"));
        assertBackoffWithin(Duration.ofMillis(160), Duration.ofMillis(240));
        delays.fireAll();
        scheduler.runAll();

        fail(executor.nextApply(), new IllegalStateException("flaky"));
        assertBackoffWithin(Duration.ofMillis(320), Duration.ofMillis(480));
        delays.fireAll();
        scheduler.runAll();

        fail(executor.nextApply(), new IllegalStateException("still flaky"));
        assertEquals(List.of(), delays.pending(), "no backoff once nothing is left to retry");
        assertEquals(new CompletionOutcome.Abandoned("apply failed: still flaky"), submission.completion().getNow(null));
        assertEquals(AbandonReason.MAX_ATTEMPTS_EXHAUSTED, status(submission).abandonReason());
        assertEquals(3, executor.applyCalls());
    }

    @Test
    void aPermanentFailureIsNotRetried() throws Exception {
        Submission rejected = session.submit(Input.prompt("bad"));
        scheduler.runAll();
        fail(executor.nextApply(), new CompletionException(new PermanentFailureException("request rejected")));

        assertEquals(new CompletionOutcome.Abandoned("apply failed: request rejected"), rejected.completion().getNow(null));
        assertEquals(AbandonReason.FAILED_PERMANENTLY, status(rejected).abandonReason());
        assertEquals(List.of(), delays.pending(), "nothing to wait for");

        Submission next = session.submit(Input.prompt("good"));
        scheduler.runAll();
        executor.nextApply().complete("fine");
        scheduler.runAll();
        assertEquals(new CompletionOutcome.Completed(RunResult.of("fine")), next.completion().getNow(null));
        assertEquals(2, executor.applyCalls());
    }

    @Test
    void controlCommandsAreServedWhileTheSessionBacksOff() throws Exception {
        Submission submission = session.submit(Input.prompt("hello"));
        scheduler.runAll();
        fail(executor.nextApply(), new IllegalStateException("flaky"));

        session.control(new RunControlCommand.CancelCurrentRun("no run in flight"));
        scheduler.runAll();
        assertEquals(List.of(new RunControlCommand.CancelCurrentRun("no run in flight")), executor.controls(),
                "delivered during the backoff");
        assertEquals(InputLifecycleState.QUEUED, status(submission).state(), "a cancel with no run in flight cancels nothing");

        session.control(new RunControlCommand.StopRuntimeExecutor("enough"));
        scheduler.runAll();
        assertTrue(submission.completion().getNow(null) instanceof CompletionOutcome.RuntimeTerminated,
                String.valueOf(submission.completion().getNow(null)));
        assertEquals(List.of(), delays.pending(), "the backoff is cancelled with the loop");
        assertEquals(1, executor.closeCalls());
        assertEquals(1, executor.applyCalls(), "no retry after the stop");
    }

    @Test
    void inputsAdmittedDuringTheBackoffRunAfterTheRetriedOne() throws Exception {
        Submission first = session.submit(Input.prompt("first"));
        scheduler.runAll();
        fail(executor.nextApply(), new IllegalStateException("flaky"));
        Submission second = session.submit(Input.prompt("second"));
        scheduler.runAll();
        assertNull(executor.pollApply(), "the backoff holds later inputs too: they never overtake the retry");

        delays.fireAll();
        scheduler.runAll();
        ScriptedExecutor.PendingApply retry = executor.nextApply();
        RunPrimitive.StagedInput staged = (RunPrimitive.StagedInput) retry.primitive();
        assertEquals("first", staged.appends().get(0).text());
        retry.complete("done");
        scheduler.runAll();
        ScriptedExecutor.PendingApply later = executor.pollApply();
        if (later != null) {
            later.complete("done");
            scheduler.runAll();
        }
        assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), first.completion().getNow(null));
        assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), second.completion().getNow(null));
    }

    private void fail(ScriptedExecutor.PendingApply apply, Throwable failure) {
        apply.result().completeExceptionally(failure);
        scheduler.runAll();
    }

    private void assertBackoffWithin(Duration min, Duration max) {
        List<Duration> pending = delays.pending();
        assertEquals(1, pending.size(), "one backoff: " + pending);
        Duration wait = pending.get(0);
        assertTrue(wait.compareTo(min) >= 0 && wait.compareTo(max) <= 0, wait + " not within " + min + ".." + max);
    }

    private InputStatus status(Submission submission) {
        return session.inputStatus(submission.inputId()).orElseThrow();
    }
}
