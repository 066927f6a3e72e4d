package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunEvent;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualDelays;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A run that goes on past its session's {@code maxRunDuration} is cancelled, its inputs abandoned TIMED_OUT. */
class RunTimeLimitTest {

    private static final Duration LIMIT = Duration.ofSeconds(30);

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ManualDelays delays = new ManualDelays();
    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));

    @Test
    void aRunPastItsLimitIsCancelledAndItsInputsTimeOut() throws Exception {
        MeerkatRuntime runtime = manualRuntime(null);
        try {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withMaxRunDuration(LIMIT));
            ScriptedExecutor executor = factory.executorOf(session.id());
            CompletableFuture<RunEvent.RunTimedOut> timedOutEvent = firstTimedOut(session);
            Submission slow = session.submit(Input.prompt("slow"));
            scheduler.runAll();
            executor.nextApply();
            assertEquals(List.of(LIMIT), delays.pending(), "the limit is armed when the run starts");

            delays.fireAll();
            scheduler.runAll();

            assertEquals(List.of(new RunControlCommand.CancelCurrentRun("run exceeded maxRunDuration PT30S")),
                    executor.controls(), "the same path as CancelCurrentRun");
            assertEquals(new CompletionOutcome.Abandoned("timed out: run exceeded maxRunDuration PT30S"),
                    slow.completion().getNow(null));
            assertEquals(AbandonReason.TIMED_OUT, session.inputStatus(slow.inputId()).orElseThrow().abandonReason());
            assertEquals(LIMIT, timedOutEvent.get(10, TimeUnit.SECONDS).limit());

            Submission next = session.submit(Input.prompt("next"));
            scheduler.runAll();
            executor.nextApply().complete("in time");
            scheduler.runAll();
            assertEquals(new CompletionOutcome.Completed(RunResult.of("in time")), next.completion().getNow(null),
                    "the session goes on with the next unit");
            assertEquals(List.of(), delays.pending(), "a run that ends in time disarms its limit");
        } finally {
            scheduler.autoRun();
            runtime.close();
        }
    }

    @Test
    void aRunThatFinishedBeforeItsLimitFiredIsCommitted() throws Exception {
        MeerkatRuntime runtime = manualRuntime(null);
        try {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withMaxRunDuration(LIMIT));
            ScriptedExecutor executor = factory.executorOf(session.id());
            Submission submission = session.submit(Input.prompt("just in time"));
            scheduler.runAll();
            // The apply completes, and the limit fires before the loop has settled the run.
            executor.nextApply().complete("done");
            delays.fireAll();
            scheduler.runAll();

            assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), submission.completion().getNow(null));
            assertEquals(InputLifecycleState.CONSUMED, session.inputStatus(submission.inputId()).orElseThrow().state());
        } finally {
            scheduler.autoRun();
            runtime.close();
        }
    }

    @Test
    void theRuntimeDefaultAppliesToSessionsThatSetNoLimit() throws Exception {
        MeerkatRuntime runtime = manualRuntime(Duration.ofMinutes(5));
        try {
            SessionHandle byDefault = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            byDefault.submit(Input.prompt("a"));
            scheduler.runAll();
            assertEquals(List.of(Duration.ofMinutes(5)), delays.pending());

            SessionHandle own = runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withMaxRunDuration(LIMIT));
            own.submit(Input.prompt("b"));
            scheduler.runAll();
            assertEquals(List.of(Duration.ofMinutes(5), LIMIT), delays.pending());
            factory.executorOf(byDefault.id()).releaseAll();
            factory.executorOf(own.id()).releaseAll();
            scheduler.runAll();
            assertEquals(List.of(), delays.pending());
        } finally {
            scheduler.autoRun();
            runtime.close();
        }
    }

    @Test
    void withTheRuntimesOwnTimerAHungRunEndsOnItsOwn() throws Exception {
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND)
                    .withMaxRunDuration(Duration.ofMillis(50)));
            Submission hung = session.submit(Input.prompt("never answered"));
            CompletionOutcome outcome = hung.completion().get(10, TimeUnit.SECONDS);
            assertInstanceOf(CompletionOutcome.Abandoned.class, outcome);
            assertTrue(((CompletionOutcome.Abandoned) outcome).reason().startsWith("timed out: "), outcome.toString());
        }
    }

    @Test
    void nonsenseLimitsAreRefused() {
        SessionSpec spec = SessionSpec.of(TestRuntimes.KIND);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> spec.withMaxRunDuration(Duration.ZERO));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TestRuntimes.builder(factory, registry).maxRunDuration(Duration.ofSeconds(-1)));
    }

    private MeerkatRuntime manualRuntime(Duration runtimeDefault) {
        return TestRuntimes.builder(factory, registry).scheduler(scheduler).delayScheduler(delays)
                .maxRunDuration(runtimeDefault).build();
    }

    private static CompletableFuture<RunEvent.RunTimedOut> firstTimedOut(SessionHandle session) {
        CompletableFuture<RunEvent.RunTimedOut> seen = new CompletableFuture<>();
        session.events().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(RuntimeEventEnvelope envelope) {
                if (envelope.event() instanceof RuntimeEvent.RunLifecycle lifecycle
                        && lifecycle.event() instanceof RunEvent.RunTimedOut timedOut) {
                    seen.complete(timedOut);
                }
            }

            @Override
            public void onError(Throwable throwable) {
                seen.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
                seen.completeExceptionally(new AssertionError("stream ended without run_timed_out"));
            }
        });
        return seen;
    }
}
