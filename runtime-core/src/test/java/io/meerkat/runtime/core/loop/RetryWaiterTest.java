package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.runtime.core.testing.ForwardingRegistry;
import io.meerkat.runtime.core.testing.ManualDelays;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A requeued input's waiters learn only its final outcome, exactly once. */
class RetryWaiterTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ManualDelays delays = new ManualDelays();
    private final AtomicReference<Runnable> onRegister = new AtomicReference<>();
    private final ForwardingRegistry registry = new ForwardingRegistry(new InMemoryCompletionRegistry()) {
        @Override
        public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
            Runnable hook = onRegister.getAndSet(null);
            if (hook != null) {
                hook.run();   // the input is settled while this waiter is on its way to the registry
            }
            super.register(sessionId, inputId, waiter);
        }
    };
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private MeerkatRuntime runtime;

    @AfterEach
    void close() {
        factory.all().values().forEach(ScriptedExecutor::releaseAll);
        scheduler.autoRun();
        runtime.close();
    }

    private static Input keyed(String text) {
        return new Input.Prompt(InputHeader.from(InputSource.OPERATOR).withIdempotencyKey("k"), text);
    }

    private SessionHandle start(RetryPolicy policy) {
        runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).delayScheduler(delays)
                .retryPolicy(policy).build();
        return runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
    }

    @Test
    void aDuplicateWaiterRegisteredDuringTheBackoffGetsTheFinalOutcome() throws Exception {
        SessionHandle session = start(RetryPolicy.defaults());
        ScriptedExecutor executor = factory.executorOf(session.id());
        Submission first = session.submit(keyed("x"));
        scheduler.runAll();
        executor.nextApply().result().completeExceptionally(new IllegalStateException("flaky"));
        scheduler.runAll();
        Submission dup = session.submit(keyed("x again"));          // during the backoff
        assertInstanceOf(AcceptOutcome.Deduplicated.class, dup.outcome());
        scheduler.runAll();
        assertFalse(first.completion().isDone());
        assertFalse(dup.completion().isDone());
        delays.fireAll();
        scheduler.runAll();
        executor.nextApply().complete("done");
        scheduler.runAll();
        CompletionOutcome done = new CompletionOutcome.Completed(RunResult.of("done"));
        assertEquals(done, first.completion().getNow(null));
        assertEquals(done, dup.completion().getNow(null));
    }

    @Test
    void aWaiterOnItsWayWhileItsRunFailsIsNotResolvedByTheFailure() throws Exception {
        SessionHandle session = start(RetryPolicy.defaults().withBackoff(java.time.Duration.ZERO, java.time.Duration.ZERO));
        ScriptedExecutor executor = factory.executorOf(session.id());
        Submission first = session.submit(keyed("x"));
        scheduler.runAll();
        ScriptedExecutor.PendingApply r1 = executor.nextApply();
        onRegister.set(() -> {                                      // between admit and register of the dup
            r1.result().completeExceptionally(new IllegalStateException("flaky"));
            scheduler.runAll();                                     // rolled back and restaged at once (no backoff)
        });
        Submission dup = session.submit(keyed("x again"));
        assertFalse(dup.completion().isDone(), "resolved by the failed run: " + dup.completion().getNow(null));
        executor.nextApply().complete("done");
        scheduler.runAll();
        CompletionOutcome done = new CompletionOutcome.Completed(RunResult.of("done"));
        assertEquals(done, first.completion().getNow(null));
        assertEquals(done, dup.completion().getNow(null));
    }

    @Test
    void aStopDuringTheBackoffTerminatesTheRequeuedInputsWaitersAndDisarmsTheTimer() throws Exception {
        SessionHandle session = start(RetryPolicy.defaults());
        ScriptedExecutor executor = factory.executorOf(session.id());
        Submission first = session.submit(keyed("x"));
        scheduler.runAll();
        executor.nextApply().result().completeExceptionally(new IllegalStateException("flaky"));
        scheduler.runAll();
        Submission dup = session.submit(keyed("x again"));
        session.control(new RunControlCommand.StopRuntimeExecutor("bye"));
        scheduler.runAll();
        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime stopped"), first.completion().getNow(null));
        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime stopped"), dup.completion().getNow(null));
        assertEquals(List.of(), delays.pending(), "the backoff timer is cancelled when the loop ends");
        assertEquals(0, delays.fireAll());
    }

    @Test
    void aPermanentFailureResolvesEveryWaiterOnce() throws Exception {
        SessionHandle session = start(RetryPolicy.defaults());
        ScriptedExecutor executor = factory.executorOf(session.id());
        Submission first = session.submit(keyed("x"));
        scheduler.runAll();
        ScriptedExecutor.PendingApply r1 = executor.nextApply();
        Submission dup = session.submit(keyed("x again"));
        r1.result().completeExceptionally(
                new java.util.concurrent.CompletionException(new io.meerkat.runtime.api.spi.PermanentFailureException("400")));
        scheduler.runAll();
        assertEquals(new CompletionOutcome.Abandoned("apply failed: 400"), first.completion().getNow(null));
        assertEquals(new CompletionOutcome.Abandoned("apply failed: 400"), dup.completion().getNow(null));
        assertEquals(List.of(), delays.pending(), "no backoff after a permanent failure");
    }
}
