package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Submits and session creation racing the runtime's close: every waiter handed out is resolved, none
 * is left pending in the registry, whether it was registered just before or while the runtime closed.
 */
class RuntimeCloseRaceTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0xC105EL);

    @RepeatedTest(5)
    void noWaiterRegisteredWhileTheRuntimeClosesIsLeftPending(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed;
        Random closer = new Random(seed);
        TestRuntimes.RecordingFactory factory =
                new TestRuntimes.RecordingFactory(() -> ScriptedExecutor.mixed(seed));
        InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
        MeerkatRuntime runtime = TestRuntimes.builder(factory, registry).build();
        List<SessionHandle> sessions = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 10; i++) {
            sessions.add(runtime.createSession(SessionSpec.of(TestRuntimes.KIND)));
        }
        List<Submission> submissions = new CopyOnWriteArrayList<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(3);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Random random = new Random(seed * 31 + t);
            threads.add(new Thread(() -> {
                started.countDown();
                for (int i = 0; i < 3_000; i++) {
                    try {
                        if (random.nextInt(20) == 0) {
                            sessions.add(runtime.createSession(random.nextBoolean()
                                    ? SessionSpec.of(TestRuntimes.KIND) : SessionSpec.withoutExecutor()));
                        } else {
                            SessionHandle s = sessions.get(random.nextInt(sessions.size()));
                            submissions.add(s.submit(Input.prompt("p")));
                        }
                    } catch (MeerkatException refused) {
                        // closed runtime, stopped session
                    } catch (RuntimeException e) {
                        unexpected.add(e);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        started.await();
        Thread.onSpinWait();
        for (int n = closer.nextInt(20_000); n > 0; n--) {
            Thread.onSpinWait();
        }
        runtime.close();
        for (Thread thread : threads) {
            thread.join(30_000);
            assertFalse(thread.isAlive(), "worker hung; " + context);
        }
        assertEquals(List.of(), unexpected, context);
        for (Submission submission : submissions) {
            submission.completion().get(10, TimeUnit.SECONDS);
        }
        assertEquals(0, registry.pendingCount(), context);
        for (SessionHandle s : sessions) {
            assertTrue(s.state().isTerminal(), "every session ended; " + context);
        }
    }
}
