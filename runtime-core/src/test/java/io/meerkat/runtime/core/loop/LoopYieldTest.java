package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A loop with more work than its pass budget gives the scheduler's thread up to a session waiting for it,
 * and keeps it only while nobody waits.
 */
class LoopYieldTest {

    private static final int BUDGET = 4;
    private static final int BACKLOG = 1_000;

    /** Completes every run at once; the first apply of the session it gates blocks until the gate opens. */
    private static final class GatedExecutor implements CoreExecutor {
        final CountDownLatch gate;
        final CountDownLatch blocked = new CountDownLatch(1);
        final AtomicInteger applies = new AtomicInteger();

        GatedExecutor(CountDownLatch gate) {
            this.gate = gate;
        }

        @Override
        public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
            if (applies.incrementAndGet() == 1 && gate != null) {
                blocked.countDown();
                try {
                    // Holds the pool's only thread: what is submitted meanwhile waits in the pool.
                    gate.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return CompletableFuture.completedFuture(CoreApplyOutput.completed(runId, primitive, RunResult.of("ok")));
        }

        @Override
        public CompletionStage<Void> control(RunControlCommand command) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aBusyLoopYieldsToASessionWaitingForTheThreadAndOnlyThen() throws Exception {
        CountDownLatch otherSubmitted = new CountDownLatch(1);
        GatedExecutor busy = new GatedExecutor(otherSubmitted);
        GatedExecutor other = new GatedExecutor(null);
        AtomicInteger created = new AtomicInteger();
        ExecutorFactory factory = new ExecutorFactory() {
            @Override
            public String kind() {
                return "gated";
            }

            @Override
            public CoreExecutor create(ExecutorContext context) {
                return created.getAndIncrement() == 0 ? busy : other;
            }
        };
        ForkJoinPool pool = new ForkJoinPool(1, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
        try (MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(factory)
                .completionRegistry(new InMemoryCompletionRegistry()).scheduler(pool).loopThroughput(BUDGET).build()) {
            SessionHandle busySession = runtime.createSession(SessionSpec.of("gated"));
            SessionHandle otherSession = runtime.createSession(SessionSpec.of("gated"));
            CompletableFuture<CompletionOutcome> lastBusy = null;
            for (int i = 0; i < BACKLOG; i++) {
                lastBusy = busySession.submit(Input.prompt("busy " + i)).completion();
            }
            assertTrue(busy.blocked.await(10, TimeUnit.SECONDS), "the busy session's loop holds the thread");

            CompletableFuture<CompletionOutcome> waiting = otherSession.submit(Input.prompt("waits for the thread")).completion();
            // One thread: the busy loop does not run while this callback does, so the count is the one the other session saw.
            CompletableFuture<Integer> busyRunsBefore = waiting.thenApply(outcome -> busy.applies.get());
            otherSubmitted.countDown();

            assertInstanceOf(CompletionOutcome.Completed.class, waiting.get(10, TimeUnit.SECONDS));
            int before = busyRunsBefore.get(10, TimeUnit.SECONDS);
            assertTrue(before <= 1 + BUDGET, "the waiting session ran within one budget of the busy one's, after "
                    + before + " of its " + BACKLOG + " runs");
            assertInstanceOf(CompletionOutcome.Completed.class, lastBusy.get(10, TimeUnit.SECONDS));
            assertEquals(BACKLOG, busy.applies.get(), "one run per prompt");
        } finally {
            pool.shutdownNow();
        }
    }
}
