package io.meerkat.runtime.core.session;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.core.testing.ScriptedExecutor;
import io.meerkat.runtime.core.testing.SwappingFront;
import io.meerkat.runtime.core.testing.TestRuntimes;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Issue 11, defect 1: submits, recycles, stops, destroys (with the id reused) and registry swaps on
 * their own threads never stop each other. The registry is a front that, like the launcher's, holds a
 * read lock across every call (predicates and waiter callbacks included) and swaps under the write
 * lock. {@code findDeadlockedThreads} cannot see a cycle through a read lock, so a watchdog checks
 * that every worker keeps making progress; a stalled worker fails the test with the seed and the
 * stalled threads' stacks. Every waiter handed out is resolved once the runtime is closed.
 */
class LockOrderStormTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x10CC_0DE1L);
    private static final long RUN_MILLIS = 3_000;
    private static final long STALL_MILLIS = 2_500;
    private static final int SESSIONS = 4;

    @RepeatedTest(3)
    void submitRecycleStopDestroyAndSwapKeepProgressing(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String context = "seed " + seed + " (replay: -Dmeerkat.seed=" + (seed - repetition.getCurrentRepetition())
                + ")";
        SwappingFront front = new SwappingFront(new InMemoryCompletionRegistry());
        var factory = new TestRuntimes.RecordingFactory(() -> ScriptedExecutor.mixed(seed));
        MeerkatRuntime runtime = TestRuntimes.builder(factory, front).shutdownTimeoutMillis(5_000).build();
        SessionId[] ids = new SessionId[SESSIONS];
        for (int i = 0; i < SESSIONS; i++) {
            ids[i] = runtime.createSession(SessionSpec.of(TestRuntimes.KIND)).id();
        }
        ConcurrentLinkedQueue<CompletableFuture<CompletionOutcome>> waiters = new ConcurrentLinkedQueue<>();
        AtomicLongArray progress = new AtomicLongArray(5);
        List<Thread> workers = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        for (int w = 0; w < 2; w++) {
            int worker = w;
            workers.add(worker("submitter-" + w, () -> {
                Random random = new Random(seed * 31 + worker);
                while (!stop.get()) {
                    submit(runtime, ids, random, waiters);
                    progress.incrementAndGet(worker);
                }
            }));
        }
        workers.add(worker("lifecycle", () -> {
            Random random = new Random(seed * 31 + 2);
            while (!stop.get()) {
                lifecycle(runtime, ids[random.nextInt(SESSIONS)], random.nextInt(4));
                progress.incrementAndGet(2);
            }
        }));
        workers.add(worker("lifecycle-2", () -> {
            Random random = new Random(seed * 31 + 3);
            while (!stop.get()) {
                lifecycle(runtime, ids[random.nextInt(SESSIONS)], random.nextInt(4));
                progress.incrementAndGet(3);
            }
        }));
        workers.add(worker("swapper", () -> {
            while (!stop.get()) {
                front.swapTo(new InMemoryCompletionRegistry());
                progress.incrementAndGet(4);
            }
        }));
        workers.forEach(Thread::start);

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] seen = new long[progress.length()];
        long[] movedAt = new long[progress.length()];
        long start = System.nanoTime();
        java.util.Arrays.fill(movedAt, start);
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS)) {
            long[] deadlocked = threads.findDeadlockedThreads();
            if (deadlocked != null) {
                fail(context + ": deadlock\n" + dump(threads.getThreadInfo(deadlocked, true, true)));
            }
            long now = System.nanoTime();
            for (int i = 0; i < seen.length; i++) {
                long value = progress.get(i);
                if (value != seen[i]) {
                    seen[i] = value;
                    movedAt[i] = now;
                } else if (now - movedAt[i] > TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS)) {
                    fail(context + ": " + workers.get(i).getName() + " made no progress for " + STALL_MILLIS
                            + " ms (a cycle through the registry's read lock?)\n" + dump(workers));
                }
            }
            TimeUnit.MILLISECONDS.sleep(50); // the watchdog's sampling period, not a synchronisation
        }
        stop.set(true);
        for (Thread worker : workers) {
            worker.join(STALL_MILLIS);
            if (worker.isAlive()) {
                fail(context + ": " + worker.getName() + " did not finish\n" + dump(workers));
            }
        }
        runtime.close();
        factory.all().values().forEach(ScriptedExecutor::releaseAll);
        for (CompletableFuture<CompletionOutcome> waiter : waiters) {
            waiter.get(10, TimeUnit.SECONDS);
        }
        assertNull(threads.findDeadlockedThreads(), context);
    }

    private static void submit(MeerkatRuntime runtime, SessionId[] ids, Random random,
                               ConcurrentLinkedQueue<CompletableFuture<CompletionOutcome>> waiters) {
        SessionHandle session = runtime.session(ids[random.nextInt(ids.length)]).orElse(null);
        if (session == null) {
            return;
        }
        try {
            CompletableFuture<CompletionOutcome> waiter = session.submit(Input.prompt("p")).completion();
            if (random.nextInt(4) == 0) {
                // A waiter callback that calls into another session: it runs wherever the waiter is
                // completed, possibly under the registry front's read lock.
                SessionId other = ids[random.nextInt(ids.length)];
                waiter.thenRun(() -> runtime.session(other).ifPresent(LockOrderStormTest::acceptQuietly));
            }
            if (waiters.size() < 20_000) {
                waiters.add(waiter);
            }
        } catch (MeerkatException refused) {
            // Not ready, stopped, removed meanwhile, queue full: the storm goes on.
        }
    }

    private static void acceptQuietly(SessionHandle session) {
        try {
            session.accept(Input.prompt("from a callback"));
        } catch (MeerkatException refused) {
            // As above.
        }
    }

    private static void lifecycle(MeerkatRuntime runtime, SessionId id, int op) {
        try {
            SessionHandle session = runtime.session(id).orElse(null);
            if (session == null) {
                runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withId(id));
                return;
            }
            switch (op) {
                case 0 -> session.recycle();
                case 1 -> session.runtimeControl(new RuntimeControlCommand.Stop());
                case 2 -> session.destroy();
                default -> {
                    runtime.removeSession(id);
                    runtime.createSession(SessionSpec.of(TestRuntimes.KIND).withId(id));
                }
            }
            if (session.state().isTerminal()) {
                runtime.removeSession(id);
            }
        } catch (MeerkatException refused) {
            // Illegal in this phase, removed or created by the other lifecycle thread meanwhile.
        }
    }

    private static Thread worker(String name, Runnable body) {
        Thread thread = new Thread(body, "storm-" + name);
        thread.setDaemon(true);
        return thread;
    }

    private static String dump(List<Thread> workers) {
        StringBuilder out = new StringBuilder();
        for (Thread worker : workers) {
            out.append(worker.getName()).append(' ').append(worker.getState()).append('\n');
            for (StackTraceElement frame : worker.getStackTrace()) {
                out.append("    at ").append(frame).append('\n');
            }
        }
        return out.toString();
    }

    private static String dump(ThreadInfo[] infos) {
        StringBuilder out = new StringBuilder();
        for (ThreadInfo info : infos) {
            out.append(info);
        }
        return out.toString();
    }
}
