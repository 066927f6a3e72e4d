package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Beyond Meerkat 0.5: a cancel or stop sent while {@code apply} is in flight reaches the executor at
 * once. The executor here never finishes a run by itself, so each test can only pass if the control
 * command arrived while the run was still pending.
 */
class InFlightControlTest {

    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private final InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
    private MeerkatRuntime runtime;
    private SessionHandle session;
    private ScriptedExecutor executor;

    @BeforeEach
    void start() {
        runtime = TestRuntimes.builder(factory, registry).build();
        session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        executor = factory.executorOf(session.id());
    }

    @AfterEach
    void stop() {
        runtime.close();
    }

    @Test
    void cancelReachesTheExecutorBeforeApplyReturns() throws Exception {
        Submission running = session.submit(Input.prompt("long call"));
        Submission next = session.submit(Input.prompt("next"));
        ScriptedExecutor.PendingApply inFlight = executor.nextApply();
        assertEquals(RuntimeState.RUNNING, session.state());

        session.control(new RunControlCommand.CancelCurrentRun("user pressed stop"));

        assertEquals(new CompletionOutcome.Abandoned("cancelled: user pressed stop"),
                running.completion().get(10, TimeUnit.SECONDS));
        assertTrue(inFlight.result().isCompletedExceptionally(), "only the cancel could end the held run");
        assertEquals(List.of(new RunControlCommand.CancelCurrentRun("user pressed stop")), executor.controls());
        var cancelled = session.inputStatus(running.inputId()).orElseThrow();
        assertEquals(InputLifecycleState.ABANDONED, cancelled.state());
        assertEquals(AbandonReason.CANCELLED, cancelled.abandonReason());

        ScriptedExecutor.PendingApply second = executor.nextApply();
        assertEquals(List.of(next.inputId()), second.primitive().contributingInputIds(),
                "the loop goes on with the next queued unit");
        second.complete("done");
        assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), next.completion().get(10, TimeUnit.SECONDS));
    }

    @Test
    void stopDuringApplyEndsTheSessionAndClosesTheExecutorAfterTheRun() throws Exception {
        Submission running = session.submit(Input.prompt("long call"));
        Submission queued = session.submit(Input.prompt("queued"));
        executor.nextApply();

        session.control(new RunControlCommand.StopRuntimeExecutor("shutting down"));

        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime stopped"),
                running.completion().get(10, TimeUnit.SECONDS));
        assertInstanceOf(CompletionOutcome.RuntimeTerminated.class, queued.completion().get(10, TimeUnit.SECONDS));
        awaitLoopEnd(session);
        assertEquals(RuntimeState.STOPPED, session.state());
        assertEquals(1, executor.applyCalls());
        assertEquals(1, executor.closeCalls());
        assertFalse(executor.calledAfterClose());
        assertEquals(0, registry.pendingCount());
    }

    @Test
    void closingTheRuntimeTerminatesEveryWaiterAndClosesEveryExecutor() throws Exception {
        Submission running = session.submit(Input.prompt("in flight"));
        Submission queued = session.submit(Input.prompt("queued"));
        SessionHandle queueOnly = runtime.createSession(SessionSpec.withoutExecutor());
        Submission parked = queueOnly.submit(Input.prompt("parked"));
        executor.nextApply();

        runtime.close();

        for (Submission submission : List.of(running, queued, parked)) {
            assertEquals(new CompletionOutcome.RuntimeTerminated("runtime closed"),
                    submission.completion().get(10, TimeUnit.SECONDS));
        }
        assertTrue(session.state().isTerminal() && queueOnly.state().isTerminal());
        assertEquals(1, executor.closeCalls(), "close() waits for the loop to close its executor");
        assertFalse(executor.calledAfterClose());
    }

    /** Waits for the session's loop to end: its event stream completes when the loop has closed the executor. */
    private static void awaitLoopEnd(SessionHandle session) throws Exception {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        session.events().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(RuntimeEventEnvelope item) {
            }

            @Override
            public void onError(Throwable throwable) {
                ended.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
                ended.complete(null);
            }
        });
        ended.get(10, TimeUnit.SECONDS);
    }
}
