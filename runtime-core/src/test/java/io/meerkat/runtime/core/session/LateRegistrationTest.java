package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.core.testing.ForwardingRegistry;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 1 (the fix's handshake): a waiter is registered after the driver lock is released,
 * so its input may be settled before the waiter is in the registry. It still gets the outcome the
 * settler gave, not a hang and not a guess: here the run commits while the submitting thread is parked
 * inside {@code register}.
 */
class LateRegistrationTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ParkingRegistry registry = new ParkingRegistry(new InMemoryCompletionRegistry());
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
    private final MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();

    @AfterEach
    void close() {
        registry.release.countDown();
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void aWaiterRegisteredAfterItsRunCommittedGetsTheRunsResult() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        CompletableFuture<Submission> submitted = CompletableFuture.supplyAsync(() -> session.submit(Input.prompt("fast")));
        assertTrue(registry.parked.await(10, TimeUnit.SECONDS), "register was not called");

        scheduler.runAll();
        InputId input = session.activeInputIds().isEmpty() ? null : session.activeInputIds().get(0);
        assertEquals(null, input, "the run committed while the waiter was on its way");
        assertFalse(submitted.isDone());

        registry.release.countDown();
        Submission submission = submitted.get(10, TimeUnit.SECONDS);
        assertEquals(InputLifecycleState.CONSUMED, session.inputStatus(submission.inputId()).orElseThrow().state());
        assertEquals(new CompletionOutcome.Completed(RunResult.of("fast")),
                submission.completion().get(10, TimeUnit.SECONDS));
        assertEquals(0, registry.pendingCount());
    }

    /** Parks the first register until released; everything else goes straight to the delegate. */
    private static final class ParkingRegistry extends ForwardingRegistry {
        final CountDownLatch parked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        ParkingRegistry(CompletionRegistry delegate) {
            super(delegate);
        }

        @Override
        public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
            parked.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            delegate.register(sessionId, inputId, waiter);
        }
    }
}
