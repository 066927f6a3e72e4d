package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 3: a {@code CancelCurrentRun} sent while no run is active never cancels a run that
 * begins after it was sent ({@link io.meerkat.runtime.api.SessionHandle#control}); it reaches the
 * executor and cancels nothing. The cancel is forced into the window between the loop's drain of the
 * control channel and the start of the next run: the loop's pass (run by the manual scheduler on a
 * thread of the test's) is parked on the driver lock in {@code beginNextRun}, which another submit (of an
 * operation: admitted under the lock) holds while a synchronous event subscriber keeps it.
 */
class StaleCancelTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TestRuntimes.RecordingFactory factory =
            new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
    private final MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
            .scheduler(scheduler).blockingExecutor(Runnable::run).maxBatchSize(1).build();

    @AfterEach
    void close() {
        factory.all().values().forEach(ScriptedExecutor::releaseAll);
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void aCancelSentBeforeARunBeganDoesNotCancelIt() throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ScriptedExecutor executor = factory.executorOf(session.id());
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        session.events().subscribe(new BlockingOnSecondAccept(holding, release));

        Submission first = session.submit(Input.prompt("first"));
        // An operation is admitted under the driver lock (a plain prompt takes the lock-free way in, and its
        // acceptance is published by whoever takes the lock next): its acceptance event is published holding it.
        Thread submitter = new Thread(() -> session.submit(
                new Input.Operation(InputHeader.from(InputSource.SYSTEM), "compact", "")), "holds-the-driver-lock");
        submitter.start();
        assertTrue(holding.await(10, TimeUnit.SECONDS), "the second submit did not reach its event");
        Thread loop = new Thread(scheduler::runAll, "loop-pass");
        loop.start();
        awaitParkedIn(loop, "beginNextRun");

        // No run is active: the loop drained its channel and waits to begin the first run.
        session.control(new RunControlCommand.CancelCurrentRun("sent while idle"));
        release.countDown();
        submitter.join(10_000);
        loop.join(10_000);

        ScriptedExecutor.PendingApply apply = executor.nextApply();
        assertEquals(List.of(first.inputId()), apply.primitive().contributingInputIds());
        assertEquals(List.of(new RunControlCommand.CancelCurrentRun("sent while idle")), executor.controls(),
                "the cancel is still delivered");
        apply.complete("done");
        scheduler.runAll();
        assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), first.completion().get(10, TimeUnit.SECONDS));
        assertEquals(InputLifecycleState.CONSUMED, session.inputStatus(first.inputId()).orElseThrow().state());
    }

    private static void awaitParkedIn(Thread thread, String method) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(thread.getState() == Thread.State.WAITING && Arrays.stream(thread.getStackTrace())
                .anyMatch(frame -> frame.getMethodName().equals(method)))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(thread.getName() + " never parked in " + method + ": " + thread.getState());
            }
            Thread.onSpinWait();
        }
    }

    /** Blocks, on the publishing thread (under the driver lock), on the second input's acceptance. */
    private static final class BlockingOnSecondAccept implements Flow.Subscriber<RuntimeEventEnvelope> {
        private final CountDownLatch holding;
        private final CountDownLatch release;
        private int accepted;

        BlockingOnSecondAccept(CountDownLatch holding, CountDownLatch release) {
            this.holding = holding;
            this.release = release;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(RuntimeEventEnvelope item) {
            if (item.event() instanceof RuntimeEvent.InputTransitioned transitioned && transitioned.from() == null
                    && ++accepted == 2) {
                holding.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void onError(Throwable failure) {
        }

        @Override
        public void onComplete() {
        }
    }
}
