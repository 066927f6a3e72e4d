package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.QueueFullException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Many submitters flood one session whose executor holds its runs, while a sampler watches the session:
 * the session never holds more unfinished inputs than its bound, exactly the bound is admitted while
 * nothing finishes, resubmits of admitted keys are deduplicated (never refused), and once the executor
 * lets go every admitted input completes and the runtime's content budget is empty again.
 */
class QueueBoundStressTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0xB0B_5EEDL);
    private static final int BOUND = 64;
    private static final int SUBMITTERS = 8;
    private static final int SUBMITS_PER_THREAD = 400;

    @RepeatedTest(3)
    void theBoundHoldsUnderConcurrentSubmitters(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry())
                .maxQueuedInputs(BOUND).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            ConcurrentLinkedQueue<Submission> accepted = new ConcurrentLinkedQueue<>();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger deduplicated = new AtomicInteger();
            AtomicInteger mostSeen = new AtomicInteger();
            List<Throwable> unexpected = new CopyOnWriteArrayList<>();
            AtomicBoolean flooding = new AtomicBoolean(true);

            Thread sampler = new Thread(() -> {
                while (flooding.get()) {
                    mostSeen.accumulateAndGet(session.activeInputIds().size(), Math::max);
                }
            }, "queue-sampler");
            sampler.start();
            CyclicBarrier start = new CyclicBarrier(SUBMITTERS);
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < SUBMITTERS; t++) {
                Random random = new Random(seed * 31 + t);
                submitters.add(new Thread(() -> {
                    try {
                        start.await(10, TimeUnit.SECONDS);
                        for (int i = 0; i < SUBMITS_PER_THREAD; i++) {
                            // Keys from a small shared pool: many submits are resubmits of an admitted input.
                            String key = "k" + random.nextInt(BOUND * 4);
                            try {
                                Submission submission = session.submit(new Input.Prompt(
                                        InputHeader.from(InputSource.OPERATOR).withIdempotencyKey(key), key));
                                if (submission.outcome() instanceof AcceptOutcome.Accepted) {
                                    accepted.add(submission);
                                } else {
                                    deduplicated.incrementAndGet();
                                }
                            } catch (QueueFullException full) {
                                refused.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                }, "submitter-" + t));
            }
            submitters.forEach(Thread::start);
            for (Thread submitter : submitters) {
                submitter.join(TimeUnit.SECONDS.toMillis(30));
            }
            flooding.set(false);
            sampler.join(TimeUnit.SECONDS.toMillis(10));

            String context = "seed " + seed;
            assertEquals(List.of(), unexpected, context);
            assertTrue(mostSeen.get() <= BOUND, context + ": saw " + mostSeen.get() + " unfinished inputs");
            assertEquals(BOUND, accepted.size(), context + ": nothing finished, so exactly the bound is admitted");
            assertEquals(SUBMITTERS * SUBMITS_PER_THREAD, accepted.size() + refused.get() + deduplicated.get(), context);
            assertTrue(deduplicated.get() > 0 && refused.get() > 0, context);

            ScriptedExecutor executor = factory.executorOf(session.id());
            executor.mode(ScriptedExecutor.Mode.ECHO);
            executor.releaseAll();
            for (Submission submission : accepted) {
                assertInstanceOf(CompletionOutcome.Completed.class, submission.completion().get(10, TimeUnit.SECONDS),
                        context);
            }
            assertEquals(0, ((LocalMeerkatRuntime) runtime).queuedPayloadChars(), context);
            assertInstanceOf(AcceptOutcome.Accepted.class, session.submit(Input.prompt("room again")).outcome());
        }
    }
}
