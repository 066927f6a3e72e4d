package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeNotReadyException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Many submitters admit durable inputs to one session (two phases: reserved and written under the lock, placed
 * once committed), some with idempotency keys they share, while another thread resets, stops or destroys the
 * session and the store refuses some commits. Whatever the interleaving: an input acknowledged is in
 * the store, in the state memory has; an input refused is in the store only as a command finished it (never
 * waiting to run); a duplicate names an input that was acknowledged; every waiter is answered once the session
 * ends; and a runtime reopening the store finds the session ended with nothing left to run.
 */
class DurableAdmissionStormTest {

    private static final int SUBMITTERS = 6;
    private static final int EACH = 60;

    /** How one submit came out. */
    private sealed interface Result {
    }

    private record Accepted(InputId id, CompletableFuture<CompletionOutcome> completion) implements Result {
    }

    private record Deduplicated(InputId id, InputId existing) implements Result {
    }

    private record Refused(InputId id, RuntimeException why) implements Result {
    }

    private final LedgerExecutorFactory executors = new LedgerExecutorFactory();

    @RepeatedTest(30)
    void aQueueOnlySession(RepetitionInfo repetition) throws Exception {
        withSeed(repetition, seed -> storm(seed, SessionSpec.withoutExecutor()));
    }

    /** Runs consume inputs meanwhile; inputs left once the storm is over all run (no placement forgets to wake). */
    @RepeatedTest(30)
    void aSessionWithAnExecutor(RepetitionInfo repetition) throws Exception {
        withSeed(repetition, seed -> storm(seed, SessionSpec.of(LedgerExecutorFactory.KIND)));
    }

    private interface SeededRun {
        void run(long seed) throws Exception;
    }

    private static void withSeed(RepetitionInfo repetition, SeededRun body) {
        long seed = new Random().nextLong() + repetition.getCurrentRepetition();
        try {
            body.run(seed);
        } catch (AssertionError | Exception e) {
            throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
        }
    }

    private void storm(long seed, SessionSpec spec) throws Exception {
        Random random = new Random(seed);
        MemoryRuntimeStore memory = new MemoryRuntimeStore();
        DurableRuntimeTest.FailingStore store = new DurableRuntimeTest.FailingStore(memory);
        Map<InputId, Result> results = new ConcurrentHashMap<>();
        SessionHandle session;
        try (MeerkatRuntime runtime = runtimeOn(store)) {
            session = runtime.createSession(spec);
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < SUBMITTERS; t++) {
                long submitterSeed = random.nextLong();
                threads.add(onNewThread(() -> submit(session, new Random(submitterSeed), start, results)));
            }
            long commandSeed = random.nextLong();
            threads.add(onNewThread(() -> command(session, store, new Random(commandSeed), start)));
            start.countDown();
            CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            store.failNext(0);
            if (!session.state().isTerminal()) {
                if (spec.executorKind() != null) {
                    for (Result result : results.values()) {
                        if (result instanceof Accepted accepted) {
                            try {
                                accepted.completion().get(10, TimeUnit.SECONDS);
                            } catch (TimeoutException stuck) {
                                fail("accepted input " + accepted.id() + " never ran: " + session.status());
                            }
                        }
                    }
                }
                session.runtimeControl(new RuntimeControlCommand.Stop());
            }

            Map<InputId, StoredInput> stored = storedInputs(store, session);
            for (Result result : results.values()) {
                if (result instanceof Accepted accepted) {
                    StoredInput input = stored.get(accepted.id());
                    assertNotNull(input, "acknowledged input " + accepted.id() + " is not in the store");
                    Optional<InputStatus> status = session.inputStatus(accepted.id());
                    assertTrue(status.isPresent(), "acknowledged input " + accepted.id() + " is unknown in memory");
                    assertEquals(status.get().state(), input.status().state(),
                            "input " + accepted.id() + ": memory and store disagree");
                    assertTrue(input.status().state().isTerminal(), "input " + accepted.id() + " of a stopped session is "
                            + input.status().state());
                    try {
                        CompletionOutcome outcome = accepted.completion().get(10, TimeUnit.SECONDS);
                        assertTrue(outcome instanceof CompletionOutcome.RuntimeTerminated
                                || outcome instanceof CompletionOutcome.Completed, "input " + accepted.id() + " ended "
                                + outcome + ", neither run nor ended by a command");
                    } catch (TimeoutException hung) {
                        fail("the waiter of input " + accepted.id() + " was never answered");
                    }
                } else if (result instanceof Deduplicated duplicate) {
                    assertTrue(results.get(duplicate.existing()) instanceof Accepted, "input " + duplicate.id()
                            + " was told it duplicates " + duplicate.existing() + ", which was not acknowledged: "
                            + results.get(duplicate.existing()));
                    assertTrue(!stored.containsKey(duplicate.id()), "duplicate " + duplicate.id() + " was written");
                } else if (result instanceof Refused refused) {
                    StoredInput input = stored.get(refused.id());
                    assertTrue(input == null || input.status().state().isTerminal(), "refused input " + refused.id()
                            + " (" + refused.why() + ") waits in the store: " + (input == null ? null : input.status()));
                }
            }
            List<InputId> inStoreUnacknowledged = stored.keySet().stream()
                    .filter(id -> !(results.get(id) instanceof Accepted) && !(results.get(id) instanceof Refused))
                    .toList();
            assertEquals(List.of(), inStoreUnacknowledged, "inputs in the store that no submitter was answered for");
        }
        // What a restart finds: the session ended, nothing of it left to run.
        try (MeerkatRuntime reopened = runtimeOn(store)) {
            SessionHandle recovered = reopened.session(session.id()).orElseThrow();
            assertTrue(recovered.state().isTerminal(), "recovered as " + recovered.state());
            Map<InputId, StoredInput> stored = storedInputs(store, session);
            assertEquals(Map.of(), stored.entrySet().stream().filter(e -> !e.getValue().status().state().isTerminal())
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().status().state())),
                    "inputs of an ended session waiting in the store");
        }
    }

    private static void submit(SessionHandle session, Random random, CountDownLatch start, Map<InputId, Result> results) {
        await(start);
        for (int i = 0; i < EACH; i++) {
            Input.Prompt prompt = Input.prompt("storm " + i);
            if (random.nextInt(4) == 0) {
                // Keys shared by all submitters: some submits are duplicates of others' in flight.
                prompt = prompt.withHeader(prompt.header().withIdempotencyKey("key-" + random.nextInt(40)));
            }
            try {
                Submission submission = session.submit(prompt);
                if (submission.outcome() instanceof AcceptOutcome.Deduplicated dedup) {
                    results.put(prompt.id(), new Deduplicated(prompt.id(), dedup.inputId()));
                } else {
                    assertEquals(InputLifecycleState.QUEUED, ((AcceptOutcome.Accepted) submission.outcome()).state());
                    results.put(prompt.id(), new Accepted(prompt.id(), submission.completion()));
                }
            } catch (RuntimeNotReadyException | StoreUnavailableException refused) {
                results.put(prompt.id(), new Refused(prompt.id(), refused));
            }
            if (random.nextInt(8) == 0) {
                Thread.yield();
            }
        }
    }

    /** Refuses a few commits and resets the session now and then; then stops or destroys it, or leaves it running. */
    private static void command(SessionHandle session, DurableRuntimeTest.FailingStore store, Random random,
                                CountDownLatch start) {
        await(start);
        int steps = 20 + random.nextInt(200);
        for (int step = 0; step < steps; step++) {
            switch (random.nextInt(6)) {
                case 0 -> store.failNext(1 + random.nextInt(3));
                case 1 -> {
                    try {
                        session.reset();
                    } catch (IllegalTransitionException | StoreUnavailableException refused) {
                        // A reset refused (ended, or the store refused it) changes nothing: the checks hold either way.
                    }
                }
                default -> Thread.yield();
            }
        }
        store.failNext(0);
        switch (random.nextInt(3)) {
            case 0 -> session.runtimeControl(new RuntimeControlCommand.Stop());
            case 1 -> session.destroy();
            default -> {
                // Left running: the test waits for what was accepted, then stops it.
            }
        }
    }

    private static Map<InputId, StoredInput> storedInputs(RuntimeStore store, SessionHandle session) {
        Map<InputId, StoredInput> inputs = new ConcurrentHashMap<>();
        for (Map.Entry<StoredSession, List<StoredInput>> held : loadAll(store).entrySet()) {
            if (held.getKey().id().equals(session.id())) {
                assertTrue(held.getKey().state() == RuntimeState.STOPPED || held.getKey().state() == RuntimeState.DESTROYED
                        || !session.state().isTerminal(), "the store keeps an ended session as " + held.getKey().state());
                held.getValue().forEach(input -> inputs.put(input.inputId(), input));
            }
        }
        return inputs;
    }

    private MeerkatRuntime runtimeOn(RuntimeStore store) {
        return MeerkatRuntimeBuilder.newBuilder().executorFactory(executors).completionRegistry(new InMemoryCompletionRegistry())
                .finishedInputRetention(10_000).maxQueuedInputs(10_000).store(store).build();
    }

    private static CompletableFuture<Void> onNewThread(Runnable body) {
        return CompletableFuture.runAsync(body, runnable -> new Thread(runnable).start());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
