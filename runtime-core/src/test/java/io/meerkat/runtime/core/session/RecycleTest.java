package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.GatedRegistry;
import io.meerkat.runtime.core.testing.ManualScheduler;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Recycle keeps the ledger, so it must not terminate the waiter of an input the session still knows:
 * an input that has just finished is being resolved, with its real outcome, by whoever finished it.
 */
class RecycleTest {

    @Test
    void recycleBetweenARunsCommitAndItsResolutionLeavesTheWaiterItsResult() throws Exception {
        ManualScheduler scheduler = new ManualScheduler();
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.HOLD));
        GatedRegistry registry = new GatedRegistry(new InMemoryCompletionRegistry(),
                outcome -> outcome instanceof CompletionOutcome.Completed);
        MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).scheduler(scheduler).build();
        Thread loop = new Thread(scheduler::runAll, "loop pass");
        try {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            Submission submission = session.submit(Input.prompt("finishes as the session recycles"));
            scheduler.runAll();
            factory.executorOf(session.id()).nextApply().complete("done");
            loop.start();
            registry.awaitParked(); // the run is committed (CONSUMED), its waiter not resolved yet

            LifecycleReport report = session.recycle();
            registry.release();
            loop.join(10_000);

            assertEquals(0, report.waitersResolved(), "recycle resolved nobody: the waiter was not orphaned");
            assertEquals(InputLifecycleState.CONSUMED,
                    session.inputStatus(submission.inputId()).orElseThrow().state());
            assertEquals(new CompletionOutcome.Completed(RunResult.of("done")),
                    submission.completion().get(10, TimeUnit.SECONDS));
        } finally {
            registry.release();
            scheduler.autoRun();
            runtime.close();
        }
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x8EC_7C1EL);

    /**
     * Submits (some deduplicated) race recycles: a waiter's outcome never contradicts its input's final
     * state, and no waiter is left pending.
     */
    @RepeatedTest(3)
    void recyclesNeverContradictAnInputsOutcome(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed;
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
        record Waited(SessionHandle session, Submission submission) {
        }
        List<Waited> waited = new CopyOnWriteArrayList<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).build()) {
            List<SessionHandle> sessions = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                sessions.add(runtime.createSession(SessionSpec.of(TestRuntimes.KIND)));
            }
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Random random = new Random(seed * 31 + t);
                boolean recycler = t == 0;
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < 2_000; i++) {
                            SessionHandle s = sessions.get(random.nextInt(sessions.size()));
                            try {
                                if (recycler) {
                                    s.recycle();
                                } else {
                                    InputHeader header = InputHeader.from(InputSource.OPERATOR);
                                    if (random.nextInt(4) == 0) {
                                        header = header.withIdempotencyKey("k" + random.nextInt(50));
                                    }
                                    waited.add(new Waited(s, s.submit(new Input.Prompt(header, "p" + i))));
                                }
                            } catch (MeerkatException refusedWhileRunning) {
                                // recycle is refused while a run is active
                            }
                        }
                    } catch (RuntimeException e) {
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
            CompletableFuture.allOf(waited.stream().map(w -> w.submission().completion())
                    .toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            for (Waited w : waited) {
                CompletionOutcome outcome = w.submission().completion().join();
                InputStatus input = w.session().inputStatus(w.submission().inputId()).orElseThrow();
                // A deduplicated submit that joins a finished input gets CompletedWithoutResult.
                assertTrue(input.state() == InputLifecycleState.CONSUMED
                                && (outcome instanceof CompletionOutcome.Completed
                                        || outcome instanceof CompletionOutcome.CompletedWithoutResult),
                        "input " + input.state() + " got " + outcome + "; " + context);
            }
            assertEquals(0, registry.pendingCount(), context);
        }
    }
}
