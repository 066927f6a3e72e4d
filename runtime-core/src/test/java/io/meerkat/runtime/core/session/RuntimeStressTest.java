package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.SessionStatus;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.PendingCompletion;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Submitters race cancels, stops, retires, resets and destroys on thousands of sessions whose
 * executor finishes runs at once, later from another thread, or fails them. At the end every session
 * is stopped and the test checks: no waiter is pending, the registry resolved every registered
 * waiter exactly once, no input is left non-terminal or on a lane, and no waiter saw an outcome its
 * input's final state contradicts.
 */
class RuntimeStressTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x5EED_CAFEL);
    private static final int SESSIONS = 2_000;
    private static final int SUBMITTERS = 4;
    private static final int CONTROLLERS = 2;
    private static final int SUBMITS_PER_THREAD = 6_000;
    private static final int CONTROLS_PER_THREAD = 600;

    private record Waited(SessionHandle session, Submission submission) {
    }

    @RepeatedTest(3)
    void concurrentSubmitsAndControlsLeaveNoWaiterBehind(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed + " (rerun with -Dmeerkat.seed=" + (seed - repetition.getCurrentRepetition()) + ")";
        CountingRegistry registry = new CountingRegistry(new InMemoryCompletionRegistry());
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> ScriptedExecutor.mixed(seed));
        ConcurrentLinkedQueue<Waited> waited = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();

        try (MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).build()) {
            List<SessionHandle> sessions = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                sessions.add(runtime.createSession(SessionSpec.of(TestRuntimes.KIND)));
            }
            CyclicBarrier start = new CyclicBarrier(SUBMITTERS + CONTROLLERS);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < SUBMITTERS; t++) {
                Random random = new Random(seed * 31 + t);
                threads.add(new Thread(guard(unexpected, () -> {
                    start.await();
                    for (int i = 0; i < SUBMITS_PER_THREAD; i++) {
                        SessionHandle session = sessions.get(random.nextInt(sessions.size()));
                        try {
                            waited.add(new Waited(session, session.submit(randomInput(random))));
                        } catch (MeerkatException expected) {
                            refused.incrementAndGet();
                        }
                    }
                })));
            }
            for (int t = 0; t < CONTROLLERS; t++) {
                Random random = new Random(seed * 17 + t);
                threads.add(new Thread(guard(unexpected, () -> {
                    start.await();
                    for (int i = 0; i < CONTROLS_PER_THREAD; i++) {
                        SessionHandle session = sessions.get(random.nextInt(sessions.size()));
                        try {
                            randomControl(random, session);
                        } catch (MeerkatException expected) {
                            refused.incrementAndGet();
                        }
                    }
                })));
            }
            threads.forEach(Thread::start);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!thread.isAlive(), "worker hung; " + context);
            }
            assertTrue(unexpected.isEmpty(), () -> "unexpected errors " + unexpected + "; " + context);

            for (SessionHandle session : sessions) {
                session.runtimeControl(new RuntimeControlCommand.Stop());
            }

            CompletableFuture.allOf(waited.stream().map(w -> w.submission().completion())
                    .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            for (Waited w : waited) {
                checkConsistent(w, context);
            }
            for (SessionHandle session : sessions) {
                SessionStatus status = session.status();
                assertTrue(status.state().isTerminal(), context);
                assertEquals(0, status.queueDepth() + status.steerDepth(), "lanes empty; " + context);
                assertEquals(List.of(), status.activeInputIds(), "no input left active; " + context);
            }
            assertEquals(0, registry.pendingCount(), "no waiter pending; " + context);
            assertEquals(registry.registered.get(), registry.resolved.get(),
                    "the registry resolved every registered waiter exactly once; " + context);
            long completed = waited.stream()
                    .filter(w -> w.submission().completion().join() instanceof CompletionOutcome.Completed).count();
            assertTrue(completed > 0, "some runs completed; " + context);
            assertTrue(waited.size() > SUBMITTERS * SUBMITS_PER_THREAD / 10,
                    "enough work got through: " + waited.size() + " waited, " + refused + " refused; " + context);
        }
    }

    private static void checkConsistent(Waited w, String context) {
        CompletionOutcome outcome = w.submission().completion().join();
        Optional<InputStatus> status = w.session().inputStatus(w.submission().inputId());
        if (status.isEmpty()) {
            return;
        }
        InputStatus input = status.get();
        String where = "input " + input + " outcome " + outcome + "; " + context;
        assertTrue(input.state().isTerminal(), where);
        if (outcome instanceof CompletionOutcome.Completed || outcome instanceof CompletionOutcome.CompletedWithoutResult) {
            assertEquals(InputLifecycleState.CONSUMED, input.state(), where);
        } else if (outcome instanceof CompletionOutcome.Abandoned abandoned && abandoned.reason().startsWith("cancelled")) {
            assertEquals(AbandonReason.CANCELLED, input.abandonReason(), where);
        }
    }

    private static Input randomInput(Random random) {
        InputHeader header = InputHeader.from(InputSource.OPERATOR);
        if (random.nextInt(8) == 0) {
            header = header.withIdempotencyKey("key-" + random.nextInt(200));
        }
        if (random.nextInt(10) == 0) {
            header = header.withSupersessionKey("topic-" + random.nextInt(3));
        }
        return switch (random.nextInt(4)) {
            case 0 -> new Input.Prompt(header, "prompt");
            case 1 -> new Input.ExternalEvent(header.withCorrelationId("c"), "tick", "event");
            case 2 -> new Input.PeerMessage(header, "peer", "hello");
            default -> new Input.Continuation(InputHeader.from(InputSource.SYSTEM), "resume");
        };
    }

    private static void randomControl(Random random, SessionHandle session) {
        int roll = random.nextInt(100);
        if (roll < 60) {
            session.control(new RunControlCommand.CancelCurrentRun("stress"));
        } else if (roll < 70) {
            session.control(new RunControlCommand.StopRuntimeExecutor("stress"));
        } else if (roll < 80) {
            session.retire();
        } else if (roll < 90) {
            session.reset();
        } else if (roll < 93) {
            session.destroy();
        } else if (roll < 96) {
            session.runtimeControl(new RuntimeControlCommand.Stop());
        } else {
            session.recycle();
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static Runnable guard(List<Throwable> unexpected, Work work) {
        return () -> {
            try {
                work.run();
            } catch (Throwable t) {
                unexpected.add(t);
            }
        };
    }

    /** Counts how many waiters were registered and how many the registry reports resolving. */
    static final class CountingRegistry implements CompletionRegistry {
        final CompletionRegistry delegate;
        final AtomicLong registered = new AtomicLong();
        final AtomicLong resolved = new AtomicLong();

        CountingRegistry(CompletionRegistry delegate) {
            this.delegate = delegate;
        }

        @Override
        public void register(io.meerkat.runtime.api.SessionId sessionId, InputId inputId,
                             CompletableFuture<CompletionOutcome> waiter) {
            registered.incrementAndGet();
            delegate.register(sessionId, inputId, waiter);
        }

        @Override
        public int resolve(io.meerkat.runtime.api.SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
            return count(delegate.resolve(sessionId, inputId, outcome));
        }

        @Override
        public int resolveAllTerminated(io.meerkat.runtime.api.SessionId sessionId, String reason) {
            return count(delegate.resolveAllTerminated(sessionId, reason));
        }

        @Override
        public int resolveAllTerminated(String reason) {
            return count(delegate.resolveAllTerminated(reason));
        }

        @Override
        public int resolveNotPending(io.meerkat.runtime.api.SessionId sessionId, Predicate<InputId> stillPending,
                                     String reason) {
            return count(delegate.resolveNotPending(sessionId, stillPending, reason));
        }

        @Override
        public int pendingCount(io.meerkat.runtime.api.SessionId sessionId) {
            return delegate.pendingCount(sessionId);
        }

        @Override
        public int pendingCount() {
            return delegate.pendingCount();
        }

        @Override
        public List<PendingCompletion> drainPending() {
            return delegate.drainPending();
        }

        @Override
        public void close() {
            delegate.close();
        }

        private int count(int n) {
            resolved.addAndGet(n);
            return n;
        }
    }
}
