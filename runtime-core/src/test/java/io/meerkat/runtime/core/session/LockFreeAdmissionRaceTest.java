package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Submitters taking the lock-free way in race, on one session at a time (so that every command lands among
 * their pushes), the commands that end its acceptance of input (stop, destroy, retire) and those that change it
 * while it accepts (reset, recycle). Checked per session: every submit that was answered accepted or
 * deduplicated gets its outcome (nothing accepted is lost in the inbox), a refused submit is refused for the
 * session's phase, one input holds each idempotency key, a duplicate names an accepted input and gets its
 * outcome (the same verdict: from the finished record when that input had finished already), and nothing is
 * left pending in the registry.
 */
class LockFreeAdmissionRaceTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0xFEE1_600DL);
    private static final int SESSIONS = 60;
    private static final int SUBMITTERS = 3;
    private static final int SUBMITS_EACH = 300;

    private record Answered(Input input, Submission submission) {
    }

    @RepeatedTest(3)
    void noAcceptedInputIsLostWhenTheSessionStopsAcceptingMidPush(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed + " (rerun with -Dmeerkat.seed=" + (seed - repetition.getCurrentRepetition()) + ")";
        RuntimeStressTest.CountingRegistry registry = new RuntimeStressTest.CountingRegistry(new InMemoryCompletionRegistry());
        TestRuntimes.RecordingFactory factory = new TestRuntimes.RecordingFactory(() -> ScriptedExecutor.mixed(seed));
        Random rounds = new Random(seed);
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).build()) {
            for (int s = 0; s < SESSIONS; s++) {
                raceOneSession(runtime, new Random(rounds.nextLong()), context + ", session " + s);
            }
            assertEquals(0, registry.pendingCount(), "no waiter pending; " + context);
            assertEquals(registry.registered.get(), registry.resolved.get(),
                    "every registered waiter resolved exactly once; " + context);
        }
    }

    /**
     * A submit that finds a run in flight leaves the wake-up to that run's end; one whose push comes after the
     * run ended and the loop found nothing to do must wake the loop itself. Pairs of submits to a session whose
     * executor completes at once put the second submit's push, again and again, around the end of the first's
     * run; a lost wake-up leaves the second input waiting for ever.
     */
    @RepeatedTest(3)
    void aSubmitRacingTheEndOfTheRunInFlightIsNeverLeftAsleep(RepetitionInfo repetition) throws Exception {
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> new ScriptedExecutor(ScriptedExecutor.Mode.ECHO));
        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, new InMemoryCompletionRegistry()).build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
            for (int i = 0; i < 50_000; i++) {
                session.submit(Input.prompt("first"));
                Submission second = session.submit(Input.prompt("second"));
                try {
                    second.completion().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("pair " + i + " of repetition " + repetition.getCurrentRepetition()
                            + ": the second input was never run; " + session.status(), e);
                }
            }
        }
    }

    private void raceOneSession(MeerkatRuntime runtime, Random random, String context) throws Exception {
        SessionHandle session = runtime.createSession(SessionSpec.of(TestRuntimes.KIND));
        ConcurrentLinkedQueue<Answered> answered = new ConcurrentLinkedQueue<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        AtomicInteger accepted = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(SUBMITTERS + 1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < SUBMITTERS; t++) {
            Random mine = new Random(random.nextLong());
            threads.add(new Thread(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < SUBMITS_EACH; i++) {
                        Input input = input(mine);
                        try {
                            answered.add(new Answered(input, session.submit(input)));
                            accepted.incrementAndGet();
                        } catch (RuntimeNotReadyException refused) {
                            // The session stopped accepting input: every later submit is refused as well.
                        }
                    }
                } catch (Throwable e) {
                    unexpected.add(e);
                }
            }, "submitter-" + t));
        }
        int commandAt = random.nextInt(SUBMITTERS * SUBMITS_EACH / 2);
        int command = random.nextInt(5);
        threads.add(new Thread(() -> {
            try {
                start.await(10, TimeUnit.SECONDS);
                while (accepted.get() < commandAt && threads.stream().limit(SUBMITTERS).anyMatch(Thread::isAlive)) {
                    Thread.onSpinWait();
                }
                switch (command) {
                    case 0 -> session.runtimeControl(new RuntimeControlCommand.Stop());
                    case 1 -> session.destroy();
                    case 2 -> session.retire();
                    case 3 -> session.reset();
                    default -> session.recycle();
                }
            } catch (MeerkatException refusedInThisPhase) {
                // A reset or recycle while a run is active is refused: the race goes on without it.
            } catch (Throwable e) {
                unexpected.add(e);
            }
        }, "controller"));
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(thread.isAlive(), thread.getName() + " hung; " + context);
        }
        assertEquals(List.of(), unexpected, context);
        if (!session.status().state().isTerminal()) {
            session.runtimeControl(new RuntimeControlCommand.Stop());
        }

        CompletableFuture.allOf(answered.stream().map(a -> a.submission().completion())
                .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        Map<String, InputId> holderOfKey = new HashMap<>();
        Map<InputId, CompletionOutcome> outcomeOf = new HashMap<>();
        for (Answered a : answered) {
            if (a.submission().outcome() instanceof AcceptOutcome.Accepted) {
                outcomeOf.put(a.submission().inputId(), a.submission().completion().join());
                String key = a.input().header().idempotencyKey();
                if (key != null) {
                    InputId other = holderOfKey.put(key, a.submission().inputId());
                    assertEquals(null, other, "key " + key + " held by two inputs; " + context);
                }
            }
        }
        for (Answered a : answered) {
            if (a.submission().outcome() instanceof AcceptOutcome.Deduplicated dedup) {
                CompletionOutcome original = outcomeOf.get(dedup.inputId());
                assertNotNull(original, "a duplicate names an accepted input; " + context);
                // A duplicate of an input finished before it came is told from the finished record, which keeps
                // no run result and words an abandonment by its reason: the same verdict, not the same text.
                CompletionOutcome duplicate = a.submission().completion().join();
                assertEquals(completed(original), completed(duplicate),
                        "a duplicate gets its input's outcome: " + original + " / " + duplicate + "; " + context);
            }
        }
        assertTrue(session.status().activeInputIds().isEmpty(), "nothing left unfinished; " + context);
    }

    private static boolean completed(CompletionOutcome outcome) {
        return outcome instanceof CompletionOutcome.Completed || outcome instanceof CompletionOutcome.CompletedWithoutResult;
    }

    private static Input input(Random random) {
        InputHeader header = InputHeader.from(InputSource.OPERATOR);
        if (random.nextInt(4) == 0) {
            header = header.withIdempotencyKey("key-" + random.nextInt(20));
        }
        return random.nextBoolean() ? new Input.Prompt(header, "p")
                : new Input.ExternalEvent(header.withCorrelationId("c"), "tick", "e");
    }
}
