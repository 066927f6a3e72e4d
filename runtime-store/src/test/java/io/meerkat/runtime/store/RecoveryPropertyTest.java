package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Random histories against a runtime with a store, cut at a random point as a crash would cut them (from
 * the cut on, nothing more reaches the store), then taken up by a second runtime on what the store kept.
 * Whatever the interleaving of the cut with the runs in flight, the recovery rules must hold:
 * <ul>
 *   <li>every durable input whose submit returned is there after the restart, once; an ephemeral one is not;</li>
 *   <li>an input a waiter was told completed is CONSUMED after the restart; one told anything else
 *       (abandoned: failed, stopped, destroyed, reset) is finished; neither runs again;</li>
 *   <li>nothing recovered is ACCEPTED, STAGED or APPLIED: an unfinished input is QUEUED, and runs;</li>
 *   <li>every run an executor was handed counts as an attempt of its inputs, a run the cut interrupted
 *       too (its start was written before it ran): an input comes back with at least as many attempts as
 *       runs were handed it, and finished once those reach the maximum (it is never run again).</li>
 *   <li>every session whose creation returned is there, unless its removal returned; a session a stop
 *       command ended (its waiters told so) is still STOPPED.</li>
 * </ul>
 * Each repetition draws its history from its own seed, printed when it fails.
 */
class RecoveryPropertyTest {

    private static final int OPERATIONS = 120;

    /** The underlying store, and a switch that makes every later commit fail: the crash. */
    private static final class CutStore extends DurableRuntimeTest.FailingStore {
        final AtomicBoolean cut = new AtomicBoolean();

        CutStore(MemoryRuntimeStore store) {
            super(store);
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            if (cut.get()) {
                throw new StoreUnavailableException("the process crashed", null);
            }
            super.commit(batches);
        }
    }

    /** What the test saw of one input before the cut. */
    private static final class Seen {
        final SessionId sessionId;
        final boolean durable;
        volatile CompletionOutcome outcome;

        Seen(SessionId sessionId, boolean durable) {
            this.sessionId = sessionId;
            this.durable = durable;
        }
    }

    private static String meerkatThreads() {
        StringBuilder dump = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith("meerkat")) {
                dump.append('\n').append(thread.getName()).append(' ').append(thread.getState());
                for (StackTraceElement frame : stack) {
                    dump.append("\n    at ").append(frame);
                }
            }
        });
        return dump.toString();
    }

    @RepeatedTest(12)
    void recoveryKeepsWhatWasAcknowledgedAndNeverRedoesWhatWasReported(RepetitionInfo repetition) throws Exception {
        // -Drecovery.seed=N replays one history.
        long seed = Long.getLong("recovery.seed", new Random().nextLong() + repetition.getCurrentRepetition());
        try {
            check(seed);
        } catch (AssertionError | Exception e) {
            throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
        }
    }

    private void check(long seed) throws Exception {
        Random random = new Random(seed);
        MemoryRuntimeStore disk = new MemoryRuntimeStore();
        CutStore store = new CutStore(disk);
        LedgerExecutorFactory before = new LedgerExecutorFactory();
        Map<InputId, Seen> seen = new ConcurrentHashMap<>();
        List<SessionId> created = new ArrayList<>();
        Set<SessionId> removed = new HashSet<>();
        Set<SessionId> stopped = ConcurrentHashMap.newKeySet();
        int cutAt = random.nextInt(OPERATIONS);

        MeerkatRuntime first = MeerkatRuntimeBuilder.newBuilder().executorFactory(before)
                .completionRegistry(new InMemoryCompletionRegistry())
                .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(2)))
                .store(store).build();
        try {
            for (int op = 0; op < OPERATIONS; op++) {
                if (op == cutAt) {
                    store.cut.set(true);
                }
                int draw = random.nextInt(100);
                try {
                    if (created.isEmpty() || draw < 8) {
                        created.add(first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND)).id());
                    } else {
                        SessionId target = created.get(random.nextInt(created.size()));
                        SessionHandle session = first.session(target).orElse(null);
                        if (session == null) {
                            continue;
                        }
                        if (draw < 85) {
                            boolean durable = random.nextInt(10) != 0;
                            String text = random.nextInt(8) == 0 ? "fail " + op : "prompt " + op;
                            Input input = Input.prompt(text);
                            if (!durable) {
                                input = input.withHeader(input.header().withDurability(Durability.EPHEMERAL));
                            }
                            var submission = session.submit(input);
                            if (submission.outcome() instanceof AcceptOutcome.Accepted) {
                                Seen record = new Seen(target, durable);
                                seen.put(input.id(), record);
                                // Only what was told before the cut: the runtime closing tells waiters more after it.
                                submission.completion().thenAccept(outcome -> {
                                    if (!store.cut.get()) {
                                        record.outcome = outcome;
                                    }
                                });
                            }
                        } else if (draw < 92) {
                            Input last = Input.prompt("last before stop " + op);
                            var submission = session.submit(last);
                            session.control(new RunControlCommand.StopRuntimeExecutor("stop " + op));
                            submission.completion().thenAccept(outcome -> {
                                if (outcome instanceof CompletionOutcome.RuntimeTerminated terminated
                                        && terminated.reason().equals("runtime stopped") && !store.cut.get()) {
                                    stopped.add(target);
                                }
                            });
                        } else if (draw < 95) {
                            session.destroy();
                        } else if (draw < 97) {
                            session.reset();
                        } else {
                            first.removeSession(target);
                            removed.add(target);
                        }
                    }
                } catch (MeerkatException expected) {
                    // Refused (the store is cut, or the session stopped): the test records nothing of it.
                }
            }
            store.cut.set(true);
        } finally {
            long closing = System.nanoTime();
            first.close();
            long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
            assertTrue(closeMillis < 10_000, "the first runtime took " + closeMillis + " ms to close");
        }

        Set<InputId> reportedDone = new HashSet<>();
        // First as recovered, by a runtime without the executor kind: nothing runs, so what it shows is what
        // the recovery rules made of the store.
        try (MeerkatRuntime second = MeerkatRuntimeBuilder.newBuilder()
                .completionRegistry(new InMemoryCompletionRegistry()).store(disk).build()) {
            for (SessionId sessionId : created) {
                boolean present = second.session(sessionId).isPresent();
                if (!removed.contains(sessionId)) {
                    assertTrue(present, "session " + sessionId + " was created and never removed, and is gone");
                }
            }
            stopped.removeAll(removed);
            for (SessionId sessionId : stopped) {
                RuntimeState state = second.session(sessionId).orElseThrow().state();
                // Destroyed after the stop is the other end it may have reached.
                assertTrue(state == RuntimeState.STOPPED || state == RuntimeState.DESTROYED,
                        "a session whose stop was reported is " + state);
            }
            for (Map.Entry<InputId, Seen> entry : seen.entrySet()) {
                Seen record = entry.getValue();
                SessionHandle session = second.session(record.sessionId).orElse(null);
                if (session == null) {
                    continue;
                }
                InputStatus status = session.inputStatus(entry.getKey()).orElse(null);
                if (!record.durable) {
                    assertTrue(status == null || status.state().isTerminal(),
                            "an ephemeral input came back unfinished: " + status);
                    continue;
                }
                assertTrue(status != null, "acknowledged input " + entry.getKey() + " is lost");
                assertFalse(status.state() == InputLifecycleState.ACCEPTED || status.state() == InputLifecycleState.STAGED
                        || status.state() == InputLifecycleState.APPLIED
                        || status.state() == InputLifecycleState.APPLIED_PENDING_CONSUMPTION,
                        "recovered in " + status.state());
                long runs = before.ledger.stream().flatMap(applied -> applied.attemptKeys().stream())
                        .filter(key -> key.startsWith(entry.getKey() + ":")).count();
                assertTrue(status.attempts() >= runs, "input handed to " + runs + " runs came back with "
                        + status.attempts() + " attempts: " + status);
                if (runs >= RetryPolicy.DEFAULT_MAX_ATTEMPTS) {
                    assertTrue(status.state().isTerminal(), "input with its attempts used up came back " + status);
                }
                if (record.outcome instanceof CompletionOutcome.Completed) {
                    assertEquals(InputLifecycleState.CONSUMED, status.state(),
                            "input reported completed came back " + status.state());
                } else if (record.outcome != null) {
                    assertTrue(status.state().isTerminal(), "input reported " + record.outcome + " came back "
                            + status.state());
                }
                if (record.outcome != null) {
                    reportedDone.add(entry.getKey());
                }
            }
        }
        // Then by a runtime that runs them: every live session runs what it took up, a last prompt behind
        // everything (lanes are FIFO).
        LedgerExecutorFactory after = new LedgerExecutorFactory();
        try (MeerkatRuntime third = MeerkatRuntimeBuilder.newBuilder().executorFactory(after)
                .completionRegistry(new InMemoryCompletionRegistry())
                .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(2)))
                .store(disk).build()) {
            for (SessionHandle session : third.sessions()) {
                if (session.state() != RuntimeState.STOPPED && session.state() != RuntimeState.DESTROYED) {
                    try {
                        session.submit(Input.prompt("drain")).completion().get(20, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException stuck) {
                        fail("session stuck after recovery: " + session.status() + "; runs: " + after.ledger
                                + "; threads: " + meerkatThreads());
                    }
                    assertTrue(session.activeInputIds().isEmpty(), "inputs left unfinished: " + session.activeInputIds());
                }
            }
            for (LedgerExecutorFactory.Applied applied : after.ledger) {
                for (String key : applied.attemptKeys()) {
                    InputId inputId = InputId.parse(key.substring(0, key.lastIndexOf(':')));
                    if (reportedDone.contains(inputId)) {
                        fail("input " + inputId + " was reported finished, then ran again after the restart");
                    }
                }
            }
        }
    }
}
