package io.meerkat.runtime.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.HandlingMode;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoreChange.PutInput;
import io.meerkat.runtime.api.spi.StoreChange.PutOutcome;
import io.meerkat.runtime.api.spi.StoreChange.PutReceipt;
import io.meerkat.runtime.api.spi.StoreChange.PutSession;
import io.meerkat.runtime.api.spi.StoreChange.RemoveSession;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link RuntimeStore} contract as tests. A store author extends this class with
 * {@link #openStore(Path)}; each test opens a store on a fresh folder, and the durability checks close it
 * and open it again on the same folder.
 *
 * <pre>{@code
 * class SqliteStoreConformanceTest extends RuntimeStoreConformanceTest {
 *     protected RuntimeStore openStore(Path folder) {
 *         return new SqliteStoreProvider().open(Map.of("path", folder.resolve("store.db").toString()));
 *     }
 * }
 * }</pre>
 *
 * What is checked: every kind of change and read; exact round trips of sessions, every input kind in
 * every lifecycle state, receipts and every kind of outcome, before and after a reopen; inputs load in
 * sequence order under their session; removing a session removes everything under it; a commit is all or
 * nothing across its batches, refusing with {@link StoreUnavailableException} a change that breaks a rule
 * (an input, receipt or outcome of a session not stored, an outcome of an input not stored in that session,
 * an input put under another session than its own, two inputs of one session with the same sequence), and
 * the store keeps working after; pruning by count and by age; concurrent commits from several threads
 * (seeded: a failure names its seed) with readers that must see every commit whole or not at all;
 * {@link RuntimeStore#info()}.
 */
public abstract class RuntimeStoreConformanceTest {

    @TempDir
    private Path folder;

    private final List<RuntimeStore> opened = new ArrayList<>();

    /** Opens the store kept in {@code folder}; called again with the same folder to check what survives. */
    protected abstract RuntimeStore openStore(Path folder);

    /**
     * Whether a store opened again on the same folder holds what the closed one held: {@code true} unless the
     * store keeps nothing beyond the process (the memory store), for which the kit checks it comes back empty.
     */
    protected boolean survivesReopen() {
        return true;
    }

    /** How long the concurrent tests may take before they fail instead of hanging the build. */
    protected Duration patience() {
        return Duration.ofSeconds(60);
    }

    @AfterEach
    void closeStores() {
        opened.forEach(RuntimeStore::close);
    }

    protected final RuntimeStore open() {
        RuntimeStore store = openStore(folder);
        assertNotNull(store, "openStore returned null");
        opened.add(store);
        return store;
    }

    protected final RuntimeStore reopen(RuntimeStore store) {
        store.close();
        return open();
    }

    // ----------------------------------------------------------------------------------------------------
    // round trips

    @Test
    void sessionsAndInputsOfEveryKindAndStateComeBackExactly() {
        RuntimeStore store = open();
        StoredSession full = new StoredSession(SessionId.random(), "echo", Map.of("delayMs", "5", "model", "m"),
                RuntimeState.IDLE, Instant.parse("2026-12-07T10:00:00.123456789Z"), Duration.ofMillis(1500));
        StoredSession bare = new StoredSession(SessionId.random(), null, Map.of(), RuntimeState.RETIRED,
                Instant.parse("2026-12-07T10:00:01Z"), null);
        List<StoredInput> inputs = new ArrayList<>();
        List<Input> kinds = everyInputKind();
        InputLifecycleState[] states = InputLifecycleState.values();
        for (int i = 0; i < Math.max(kinds.size(), states.length); i++) {
            inputs.add(stored(full.id(), i, kinds.get(i % kinds.size()), states[i % states.length], i % 2 == 0 ? RunId.random() : null));
        }
        List<StoreChange> changes = new ArrayList<>(List.of(new PutSession(full), new PutSession(bare)));
        inputs.forEach(input -> changes.add(new PutInput(input)));
        store.commit(List.of(new StoreBatch(changes)));

        Map<StoredSession, List<StoredInput>> expected = new LinkedHashMap<>();
        expected.put(full, inputs);
        expected.put(bare, List.of());
        assertEquals(expected, loadAll(store));
        if (survivesReopen()) {
            assertEquals(expected, loadAll(reopen(store)), "what a reopened store loads");
        } else {
            assertEquals(Map.of(), loadAll(reopen(store)), "a store that keeps nothing beyond the process");
        }
    }

    @Test
    void receiptsAndOutcomesOfEveryKindComeBackExactly() {
        RuntimeStore store = open();
        SessionId session = SessionId.random();
        List<CompletionOutcome> outcomes = List.of(
                new CompletionOutcome.Completed(new RunResult("reply \u00e9\u4e2d\n\"quoted\"", Map.of("model", "m", "tokens", "12"))),
                new CompletionOutcome.Completed(RunResult.of("")),
                new CompletionOutcome.CompletedWithoutResult(),
                new CompletionOutcome.CallbackPending("search", "{\"q\":\"x\"}"),
                new CompletionOutcome.Abandoned("apply failed: boom"),
                new CompletionOutcome.RuntimeTerminated("stopped"));
        List<StoreChange> changes = new ArrayList<>(List.of(new PutSession(session(session))));
        List<InputId> ids = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
            StoredInput input = stored(session, i, Input.prompt("p" + i), InputLifecycleState.CONSUMED, null);
            ids.add(input.inputId());
            changes.add(new PutInput(input));
            changes.add(new PutOutcome(session, input.inputId(), outcomes.get(i)));
        }
        RunId run = RunId.random();
        RunBoundaryReceipt first = new RunBoundaryReceipt(run, RunBoundary.RUN_START, ids.subList(0, 2), null, 2, 0);
        RunBoundaryReceipt last = new RunBoundaryReceipt(run, RunBoundary.RUN_CHECKPOINT, ids, "sha256:abc", 9, 1);
        RunId other = RunId.random();
        RunBoundaryReceipt immediate = new RunBoundaryReceipt(other, RunBoundary.IMMEDIATE, List.of(), null, 0, 0);
        changes.add(new PutReceipt(session, first));
        changes.add(new PutReceipt(session, immediate));
        store.commit(List.of(new StoreBatch(changes)));
        store.commit(List.of(StoreBatch.of(new PutReceipt(session, last))));

        assertReceiptsAndOutcomes(store, session, ids, outcomes, run, last, other, immediate);
        if (survivesReopen()) {
            assertReceiptsAndOutcomes(reopen(store), session, ids, outcomes, run, last, other, immediate);
        }
    }

    private static void assertReceiptsAndOutcomes(RuntimeStore store, SessionId session, List<InputId> ids,
                                                  List<CompletionOutcome> outcomes, RunId run, RunBoundaryReceipt last,
                                                  RunId other, RunBoundaryReceipt immediate) {
        for (int i = 0; i < outcomes.size(); i++) {
            assertEquals(Optional.of(outcomes.get(i)), store.outcome(session, ids.get(i)), "outcome " + i);
        }
        assertEquals(Optional.of(last), store.receipt(session, run), "the last receipt of a run");
        assertEquals(Optional.of(immediate), store.receipt(session, other));
        assertEquals(Optional.empty(), store.receipt(session, RunId.random()));
        assertEquals(Optional.empty(), store.receipt(SessionId.random(), run), "a receipt belongs to its session");
        assertEquals(Optional.empty(), store.outcome(session, InputId.random()));
        assertEquals(Optional.empty(), store.outcome(SessionId.random(), ids.get(0)), "an outcome belongs to its session");
    }

    @Test
    void aPutReplacesWhatIsStoredOfASessionAndOfAnInputAndTheLastOutcomeWins() {
        RuntimeStore store = open();
        StoredSession session = session(SessionId.random());
        StoredInput queued = stored(session.id(), 1, Input.prompt("hi"), InputLifecycleState.QUEUED, null);
        store.commit(List.of(StoreBatch.of(new PutSession(session), new PutInput(queued))));
        StoredSession stopped = session.withState(RuntimeState.STOPPED);
        StoredInput abandoned = new StoredInput(session.id(), 1, null, queued.idempotencyKey(),
                status(queued.inputId(), queued.status().kind(), InputLifecycleState.ABANDONED, Lane.QUEUE, 2),
                RunId.random());
        store.commit(List.of(StoreBatch.of(new PutSession(stopped), new PutInput(abandoned),
                new PutOutcome(session.id(), queued.inputId(), new CompletionOutcome.Abandoned("first")))));
        store.commit(List.of(StoreBatch.of(new PutOutcome(session.id(), queued.inputId(), new CompletionOutcome.Abandoned("second")))));

        assertEquals(Map.of(stopped, List.of(abandoned)), loadAll(store));
        assertEquals(Optional.of(new CompletionOutcome.Abandoned("second")), store.outcome(session.id(), queued.inputId()));
    }

    @Test
    void eachSessionIsFollowedByItsOwnInputsInSequenceOrder() {
        RuntimeStore store = open();
        Random random = new Random(42);
        Map<StoredSession, List<StoredInput>> expected = new LinkedHashMap<>();
        List<StoreBatch> batches = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            StoredSession session = session(SessionId.random());
            List<StoredInput> inputs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                // Gaps and large values: a sequence orders, it does not count.
                inputs.add(stored(session.id(), i * 1_000_000_007L + random.nextInt(1000), Input.prompt("i" + i),
                        InputLifecycleState.QUEUED, null));
            }
            expected.put(session, inputs);
            List<StoredInput> shuffled = new ArrayList<>(inputs);
            Collections.shuffle(shuffled, random);
            List<StoreChange> changes = new ArrayList<>(List.of(new PutSession(session)));
            shuffled.forEach(input -> changes.add(new PutInput(input)));
            batches.add(new StoreBatch(changes));
        }
        store.commit(batches);
        assertEquals(expected, loadAll(store));
    }

    @Test
    void aLoadReadsOneSnapshotWhileItsVisitorCommits() {
        RuntimeStore store = open();
        Map<StoredSession, List<StoredInput>> before = new LinkedHashMap<>();
        List<StoreBatch> batches = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            StoredSession session = session(SessionId.random());
            StoredInput input = stored(session.id(), 1, Input.prompt("s" + s), InputLifecycleState.QUEUED, null);
            before.put(session, List.of(input));
            batches.add(StoreBatch.of(new PutSession(session), new PutInput(input)));
        }
        store.commit(batches);
        Map<StoredSession, List<StoredInput>> after = new LinkedHashMap<>();
        List<StoreBatch> changes = new ArrayList<>();
        before.forEach((session, inputs) -> {
            StoredSession stopped = session.withState(RuntimeState.STOPPED);
            StoredInput added = stored(session.id(), 2, Input.prompt("added"), InputLifecycleState.QUEUED, null);
            changes.add(StoreBatch.of(new PutSession(stopped), new PutInput(added)));
            after.put(stopped, List.of(inputs.get(0), added));
        });
        Map<StoredSession, List<StoredInput>> seen = new LinkedHashMap<>();

        // As a runtime recovering does, the visitor writes while the load goes on: here, at the first
        // session, a change to every session, the ones still to be read too.
        store.load(new StoreVisitor() {
            private StoredSession current;

            @Override
            public void session(StoredSession session) {
                if (current == null) {
                    store.commit(changes);
                }
                current = session;
                seen.put(session, new ArrayList<>());
            }

            @Override
            public void input(StoredInput input) {
                seen.get(current).add(input);
            }
        });

        assertEquals(before, seen, "the load sees the store as it was when it began");
        assertEquals(after, loadAll(store), "the visitor's commits are kept");
    }

    @Test
    void removingASessionRemovesEverythingStoredUnderItAndNothingElse() {
        RuntimeStore store = open();
        SessionId gone = SessionId.random();
        SessionId kept = SessionId.random();
        Map<SessionId, StoredInput> inputs = new LinkedHashMap<>();
        RunId run = RunId.random();
        for (SessionId id : List.of(gone, kept)) {
            StoredInput input = stored(id, 0, Input.prompt("x"), InputLifecycleState.CONSUMED, run);
            inputs.put(id, input);
            store.commit(List.of(StoreBatch.of(new PutSession(session(id)), new PutInput(input),
                    new PutReceipt(id, new RunBoundaryReceipt(run, RunBoundary.RUN_START, List.of(input.inputId()), null, 1, 0)),
                    new PutOutcome(id, input.inputId(), new CompletionOutcome.CompletedWithoutResult()))));
        }
        store.commit(List.of(StoreBatch.of(new RemoveSession(gone))));

        assertEquals(Map.of(session(kept), List.of(inputs.get(kept))), loadAll(store));
        assertEquals(Optional.empty(), store.outcome(gone, inputs.get(gone).inputId()));
        assertEquals(Optional.empty(), store.receipt(gone, run));
        assertTrue(store.outcome(kept, inputs.get(kept).inputId()).isPresent());
        assertTrue(store.receipt(kept, run).isPresent());

        // The same id again starts empty, and removing what is not stored is no error.
        store.commit(List.of(StoreBatch.of(new PutSession(session(gone))), StoreBatch.of(new RemoveSession(SessionId.random()))));
        assertEquals(Map.of(session(kept), List.of(inputs.get(kept)), session(gone), List.of()), loadAll(store));
        assertEquals(Optional.empty(), store.outcome(gone, inputs.get(gone).inputId()));
    }

    @Test
    void anEmptyCommitWritesNothing() {
        RuntimeStore store = open();
        store.commit(List.of());
        store.commit(List.of(new StoreBatch(List.of())));
        assertEquals(Map.of(), loadAll(store));
    }

    // ----------------------------------------------------------------------------------------------------
    // atomicity

    /** Each rule, broken by the last batch of a commit whose first batch is fine on its own. */
    @Test
    void aCommitThatBreaksARuleWritesNothingOfAnyBatchAndTheStoreKeepsWorking() {
        RuntimeStore store = open();
        SessionId existing = SessionId.random();
        StoredInput stored = stored(existing, 0, Input.prompt("first"), InputLifecycleState.QUEUED, null);
        store.commit(List.of(StoreBatch.of(new PutSession(session(existing)), new PutInput(stored))));
        SessionId other = SessionId.random();
        store.commit(List.of(StoreBatch.of(new PutSession(session(other)))));
        Map<StoredSession, List<StoredInput>> before = loadAll(store);

        Map<String, StoreBatch> broken = new LinkedHashMap<>();
        SessionId missing = SessionId.random();
        broken.put("an input of a session not stored",
                StoreBatch.of(new PutInput(stored(missing, 0, Input.prompt("x"), InputLifecycleState.QUEUED, null))));
        broken.put("an input put before its session in the same batch",
                StoreBatch.of(new PutInput(stored(missing, 0, Input.prompt("x"), InputLifecycleState.QUEUED, null)),
                        new PutSession(session(missing))));
        broken.put("a receipt of a session not stored", StoreBatch.of(new PutReceipt(missing,
                new RunBoundaryReceipt(RunId.random(), RunBoundary.IMMEDIATE, List.of(), null, 0, 0))));
        broken.put("an outcome of an input not stored",
                StoreBatch.of(new PutOutcome(existing, InputId.random(), new CompletionOutcome.CompletedWithoutResult())));
        broken.put("an outcome naming another session than its input's",
                StoreBatch.of(new PutOutcome(other, stored.inputId(), new CompletionOutcome.CompletedWithoutResult())));
        broken.put("an input put under another session than its own",
                StoreBatch.of(new PutInput(new StoredInput(other, 5, stored.input(), null, stored.status(), null))));
        broken.put("two inputs of one session with one sequence",
                StoreBatch.of(new PutInput(stored(existing, 0, Input.prompt("same sequence"), InputLifecycleState.QUEUED, null))));

        for (Map.Entry<String, StoreBatch> rule : broken.entrySet()) {
            SessionId fresh = SessionId.random();
            StoreBatch fine = StoreBatch.of(new PutSession(session(fresh)),
                    new PutInput(stored(fresh, 0, Input.prompt("fine"), InputLifecycleState.QUEUED, null)),
                    new PutInput(withState(stored, InputLifecycleState.STAGED, null)),
                    new RemoveSession(other), new PutSession(session(other)));
            StoreUnavailableException refused = assertThrows(StoreUnavailableException.class,
                    () -> store.commit(List.of(fine, rule.getValue())), rule.getKey() + " must be refused");
            assertEquals("store_unavailable", refused.code());
            assertEquals(before, loadAll(store), rule.getKey() + ": nothing of the commit may be written");
        }
        // And the store goes on: the same first batch alone commits.
        SessionId after = SessionId.random();
        store.commit(List.of(StoreBatch.of(new PutSession(session(after)))));
        assertEquals(before.size() + 1, loadAll(store).size());
        if (survivesReopen()) {
            assertEquals(before.size() + 1, loadAll(reopen(store)).size());
        }
    }

    /** A refused commit that put an input (and removed it again) leaves the input free for any session. */
    @Test
    void aRefusedCommitLeavesNoTraceOfTheInputsItPut() {
        RuntimeStore store = open();
        SessionId first = SessionId.random();
        StoredInput input = stored(first, 0, Input.prompt("x"), InputLifecycleState.QUEUED, null);
        StoredInput orphan = stored(SessionId.random(), 0, Input.prompt("orphan"), InputLifecycleState.QUEUED, null);
        assertThrows(StoreUnavailableException.class, () -> store.commit(List.of(
                StoreBatch.of(new PutSession(session(first)), new PutInput(input), new RemoveSession(first)),
                StoreBatch.of(new PutInput(orphan)))));

        SessionId second = SessionId.random();
        StoredInput moved = new StoredInput(second, 0, input.input(), input.idempotencyKey(), input.status(), null);
        store.commit(List.of(StoreBatch.of(new PutSession(session(second)), new PutInput(moved))));

        assertEquals(Map.of(session(second), List.of(moved)), loadAll(store));
    }

    // ----------------------------------------------------------------------------------------------------
    // retention

    @Test
    void pruningByCountKeepsTheNewestFinishedInputsOfEachSessionAndEveryActiveOne() {
        RuntimeStore store = open();
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        SessionId a = SessionId.random();
        SessionId b = SessionId.random();
        List<StoredInput> aInputs = history(a, 10, now);
        List<StoredInput> bInputs = history(b, 3, now);
        commitWithOutcomes(store, a, aInputs);
        commitWithOutcomes(store, b, bInputs);

        // Of a: finished are 0..7 (active: 8 QUEUED, 9 STAGED); keep the newest 3 finished: 5, 6, 7.
        long pruned = store.prune(new RetentionPolicy(3, Instant.EPOCH));

        assertEquals(5, pruned);
        Map<StoredSession, List<StoredInput>> loaded = loadAll(store);
        assertEquals(aInputs.subList(5, 10), loaded.get(session(a)));
        assertEquals(bInputs, loaded.get(session(b)), "b has at most 3 finished inputs");
        for (int i = 0; i < 10; i++) {
            assertEquals(i >= 5 && i < 8, store.outcome(a, aInputs.get(i).inputId()).isPresent(), "outcome of a's input " + i);
        }
        assertIdempotencyKeys(store, a, List.of("key-5", "key-6", "key-7", "key-8", "key-9"));
        assertEquals(0, store.prune(new RetentionPolicy(3, Instant.EPOCH)), "pruning again finds nothing");
        if (survivesReopen()) {
            assertEquals(loaded, loadAll(reopen(store)));
        }
    }

    @Test
    void pruningByAgeForgetsInputsThatFinishedBeforeTheInstantWhateverTheCount() {
        RuntimeStore store = open();
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        SessionId a = SessionId.random();
        List<StoredInput> inputs = history(a, 10, now);
        commitWithOutcomes(store, a, inputs);

        // Input i finished at now + i seconds (+ 1 ns for exactness); those finished before now + 3 s are 0, 1, 2.
        long pruned = store.prune(new RetentionPolicy(1000, now.plusSeconds(3)));

        assertEquals(3, pruned);
        assertEquals(inputs.subList(3, 10), loadAll(store).get(session(a)));
        assertEquals(Optional.empty(), store.outcome(a, inputs.get(2).inputId()));
        assertTrue(store.outcome(a, inputs.get(3).inputId()).isPresent());
        assertIdempotencyKeys(store, a, List.of("key-3", "key-4", "key-5", "key-6", "key-7", "key-8", "key-9"));
        // An instant one nanosecond after input 3 finished takes it too.
        assertEquals(1, store.prune(new RetentionPolicy(1000, now.plusSeconds(3).plusNanos(2))));
    }

    @Test
    void pruningForgetsReceiptsOfRunsThatStagedNoStoredInput() {
        RuntimeStore store = open();
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        SessionId a = SessionId.random();
        List<StoredInput> inputs = history(a, 10, now);
        commitWithOutcomes(store, a, inputs);
        RunId ofPruned = inputs.get(0).stagedRun();
        RunId ofKept = inputs.get(9).stagedRun();
        store.commit(List.of(StoreBatch.of(
                new PutReceipt(a, new RunBoundaryReceipt(ofPruned, RunBoundary.RUN_START, List.of(inputs.get(0).inputId()), null, 1, 0)),
                new PutReceipt(a, new RunBoundaryReceipt(ofKept, RunBoundary.RUN_START, List.of(inputs.get(9).inputId()), null, 1, 0)))));

        store.prune(new RetentionPolicy(0, Instant.EPOCH));

        assertEquals(Optional.empty(), store.receipt(a, ofPruned));
        assertTrue(store.receipt(a, ofKept).isPresent(), "input 9 is still staged by its run");
    }

    // ----------------------------------------------------------------------------------------------------
    // concurrency

    /**
     * Writers commit from several threads while readers load: every commit puts a new session with its
     * inputs (as many as its config says) and updates the inputs of an older one of the same writer, so a
     * reader that sees a session with another count of inputs, or a half-updated older one, saw a commit in
     * parts. Seeded: a failure names the seed that replays it.
     */
    @Test
    void concurrentCommitsAreEachWholeAndReadersNeverSeeOneInParts() throws Exception {
        long seed = Long.getLong("meerkat.store.seed", System.nanoTime());
        RuntimeStore store = open();
        int writers = 4;
        int commitsEach = 40;
        ExecutorService threads = Executors.newFixedThreadPool(writers + 2);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        Map<StoredSession, List<StoredInput>> expected = new ConcurrentHashMap<>();
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(threads.submit(() -> {
                    do {
                        loadAll(store).forEach((session, inputs) -> {
                            int count = Integer.parseInt(session.config().get("inputs"));
                            assertEquals(count, inputs.size(), "seed " + seed + ": inputs of " + session.id());
                            assertEquals(1, inputs.stream().map(input -> input.status().attempts()).distinct().count(),
                                    "seed " + seed + ": an update of " + session.id() + " seen in parts");
                        });
                        reads.incrementAndGet();
                    } while (writing.get());
                    return null;
                }));
            }
            List<Future<?>> writes = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                Random random = new Random(seed + w);
                writes.add(threads.submit(() -> {
                    List<StoredSession> mine = new ArrayList<>();
                    Map<SessionId, List<StoredInput>> inputsOf = new LinkedHashMap<>();
                    for (int c = 0; c < commitsEach; c++) {
                        int count = 1 + random.nextInt(8);
                        StoredSession session = new StoredSession(SessionId.random(), "echo", Map.of("inputs", Integer.toString(count)),
                                RuntimeState.IDLE, Instant.now(), null);
                        List<StoreChange> changes = new ArrayList<>(List.of(new PutSession(session)));
                        List<StoredInput> inputs = new ArrayList<>();
                        for (int i = 0; i < count; i++) {
                            Input input = Input.prompt("w" + c + "-" + i);
                            inputs.add(new StoredInput(session.id(), i, input, null,
                                    status(input.id(), input.kind(), InputLifecycleState.QUEUED, Lane.QUEUE, 0), null));
                        }
                        inputs.forEach(input -> changes.add(new PutInput(input)));
                        mine.add(session);
                        inputsOf.put(session.id(), inputs);
                        List<StoreChange> update = new ArrayList<>();
                        if (!mine.isEmpty() && random.nextBoolean()) {
                            StoredSession older = mine.get(random.nextInt(mine.size()));
                            List<StoredInput> updated = new ArrayList<>();
                            for (StoredInput input : inputsOf.get(older.id())) {
                                updated.add(new StoredInput(input.sessionId(), input.sequence(), input.input(), input.idempotencyKey(),
                                        status(input.inputId(), input.status().kind(), InputLifecycleState.QUEUED, Lane.QUEUE,
                                                input.status().attempts() + 1), null));
                            }
                            inputsOf.put(older.id(), updated);
                            updated.forEach(input -> update.add(new PutInput(input)));
                        }
                        store.commit(List.of(new StoreBatch(changes), new StoreBatch(update)));
                    }
                    mine.forEach(session -> expected.put(session, inputsOf.get(session.id())));
                    return null;
                }));
            }
            for (Future<?> write : writes) {
                write.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            }
            writing.set(false);
            for (Future<?> reader : readers) {
                reader.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            writing.set(false);
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(patience().toMillis(), TimeUnit.MILLISECONDS), "test threads did not stop");
        }
        assertTrue(reads.get() > 0);
        assertEquals(expected, loadAll(store), "seed " + seed);
    }

    // ----------------------------------------------------------------------------------------------------
    // info and lifecycle

    @Test
    void infoCountsSessionsAndInputsByState() {
        RuntimeStore store = open();
        StoreInfo empty = store.info();
        assertFalse(empty.provider().isBlank());
        assertFalse(empty.location().isBlank());
        assertEquals(0, empty.sessions());
        assertEquals(0L, empty.inputsByState().values().stream().mapToLong(Long::longValue).sum());

        SessionId a = SessionId.random();
        commitWithOutcomes(store, a, history(a, 10, Instant.parse("2026-12-07T10:00:00Z")));
        store.commit(List.of(StoreBatch.of(new PutSession(session(SessionId.random())))));

        StoreInfo info = store.info();
        assertEquals(2, info.sessions());
        assertEquals(Map.of(InputLifecycleState.CONSUMED, 4L, InputLifecycleState.ABANDONED, 4L,
                InputLifecycleState.QUEUED, 1L, InputLifecycleState.STAGED, 1L), withoutZeros(info.inputsByState()));
        assertEquals(empty.schemaVersion(), info.schemaVersion());
        assertTrue(info.schemaVersion() >= 0);
        assertTrue(info.sizeBytes() == -1 || info.sizeBytes() > 0, "size " + info.sizeBytes());
    }

    @Test
    void aClosedStoreRefusesCalls() {
        RuntimeStore store = open();
        store.close();
        assertThrows(RuntimeException.class, () -> store.commit(List.of(StoreBatch.of(new PutSession(session(SessionId.random()))))));
        assertThrows(RuntimeException.class, () -> loadAll(store));
        store.close();
    }

    // ----------------------------------------------------------------------------------------------------
    // helpers

    /** Everything {@link RuntimeStore#load} hands over, checking that every input follows its own session. */
    public static Map<StoredSession, List<StoredInput>> loadAll(RuntimeStore store) {
        Map<StoredSession, List<StoredInput>> loaded = new LinkedHashMap<>();
        store.load(new StoreVisitor() {
            private StoredSession current;

            @Override
            public void session(StoredSession session) {
                current = session;
                assertEquals(null, loaded.put(session, new ArrayList<>()), "session " + session.id() + " visited twice");
            }

            @Override
            public void input(StoredInput input) {
                assertNotNull(current, "an input before any session");
                assertEquals(current.id(), input.sessionId(), "input " + input.inputId() + " handed under another session");
                List<StoredInput> inputs = loaded.get(current);
                if (!inputs.isEmpty()) {
                    assertTrue(inputs.get(inputs.size() - 1).sequence() < input.sequence(), "inputs out of sequence order");
                }
                inputs.add(input);
            }
        });
        return loaded;
    }

    public static StoredSession session(SessionId id) {
        return new StoredSession(id, "echo", Map.of(), RuntimeState.IDLE, Instant.parse("2026-12-07T09:00:00Z"), null);
    }

    /** A durable input with every header field set, in the given state, with a history reaching it. */
    public static StoredInput stored(SessionId session, long sequence, Input input, InputLifecycleState state, RunId stagedRun) {
        InputHeader header = input.header().withIdempotencyKey("key-" + sequence).withCorrelationId("corr-" + sequence);
        Input keyed = input.withHeader(header);
        InputStatus status = status(keyed.id(), keyed.kind(), state, sequence % 2 == 0 ? Lane.QUEUE : Lane.STEER, (int) (sequence % 3));
        return new StoredInput(session, sequence, state.isTerminal() ? null : keyed, header.idempotencyKey(), status, stagedRun);
    }

    public static InputStatus status(InputId id, io.meerkat.runtime.api.InputKind kind, InputLifecycleState state, Lane lane, int attempts) {
        Instant at = Instant.parse("2026-12-07T10:00:00.000000001Z");
        List<InputTransitionRecord> history = new ArrayList<>();
        history.add(new InputTransitionRecord(at, null, InputLifecycleState.ACCEPTED, null));
        if (state != InputLifecycleState.ACCEPTED) {
            history.add(new InputTransitionRecord(at.plusMillis(1), InputLifecycleState.ACCEPTED, state,
                    state == InputLifecycleState.ABANDONED ? "cancelled by operator" : null));
        }
        return new InputStatus(id, kind, state, lane, attempts,
                state == InputLifecycleState.ABANDONED ? AbandonReason.CANCELLED : null,
                state == InputLifecycleState.SUPERSEDED || state == InputLifecycleState.COALESCED ? InputId.random() : null,
                history);
    }

    private static StoredInput withState(StoredInput input, InputLifecycleState state, RunId stagedRun) {
        return new StoredInput(input.sessionId(), input.sequence(), state.isTerminal() ? null : input.input(),
                input.idempotencyKey(), status(input.inputId(), input.status().kind(), state, input.status().lane(),
                input.status().attempts()), stagedRun);
    }

    /** One input of every kind, with every optional header field set on some and none on others. */
    public static List<Input> everyInputKind() {
        Function<InputSource, InputHeader> full = source -> new InputHeader(InputId.random(),
                Instant.parse("2026-12-07T10:00:00.987654321Z"), source, Durability.DURABLE, "idem", "supersede", "corr",
                HandlingMode.STEER);
        Function<InputSource, InputHeader> bare = source -> new InputHeader(InputId.random(),
                Instant.parse("2026-12-07T10:00:00Z"), source, Durability.DERIVED, null, null, null, null);
        return List.of(
                new Input.Prompt(full.apply(InputSource.OPERATOR), "hello \u00e9\u4e2d \uD83D\uDE00 \"x\"\n"),
                new Input.PeerMessage(bare.apply(InputSource.PEER), "peer-1", "msg"),
                new Input.PeerRequest(full.apply(InputSource.PEER), "peer-2", "req-1", "please"),
                new Input.PeerResponseProgress(bare.apply(InputSource.PEER), "peer-2", "req-1", "50%"),
                new Input.PeerResponseTerminal(full.apply(InputSource.PEER), "peer-2", "req-1", "done"),
                new Input.FlowStep(bare.apply(InputSource.FLOW), "flow-1", "step-2", "go"),
                new Input.ExternalEvent(full.apply(InputSource.EXTERNAL), "webhook", "{\"a\":1}"),
                new Input.Continuation(bare.apply(InputSource.SYSTEM), ""),
                new Input.Operation(full.apply(InputSource.SYSTEM), "compact", "op"));
    }

    /**
     * Ten inputs: 0..3 CONSUMED, 4..7 ABANDONED (input i finished at {@code start + i s + 1 ns}), 8 QUEUED,
     * 9 STAGED, each staged by a run of its own.
     */
    private static List<StoredInput> history(SessionId session, int count, Instant start) {
        List<StoredInput> inputs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            InputLifecycleState state = i >= 8 ? (i == 8 ? InputLifecycleState.QUEUED : InputLifecycleState.STAGED)
                    : i < 4 ? InputLifecycleState.CONSUMED : InputLifecycleState.ABANDONED;
            Input input = Input.prompt("p" + i);
            InputId id = input.id();
            Instant finished = start.plusSeconds(i).plusNanos(1);
            InputStatus status = new InputStatus(id, input.kind(), state, Lane.QUEUE, 1, state == InputLifecycleState.ABANDONED
                    ? AbandonReason.CANCELLED : null, null, List.of(
                    new InputTransitionRecord(start.minusSeconds(60), null, InputLifecycleState.ACCEPTED, null),
                    new InputTransitionRecord(finished, InputLifecycleState.ACCEPTED, state, null)));
            inputs.add(new StoredInput(session, i, state.isTerminal() ? null : input.withHeader(input.header().withIdempotencyKey("key-" + i)),
                    "key-" + i, status, RunId.random()));
        }
        return inputs;
    }

    private static void commitWithOutcomes(RuntimeStore store, SessionId session, List<StoredInput> inputs) {
        List<StoreChange> changes = new ArrayList<>(List.of(new PutSession(session(session))));
        for (StoredInput input : inputs) {
            changes.add(new PutInput(input));
            if (input.status().state().isTerminal()) {
                changes.add(new PutOutcome(session, input.inputId(), new CompletionOutcome.Completed(RunResult.of("r" + input.sequence()))));
            }
        }
        store.commit(List.of(new StoreBatch(changes)));
    }

    private static void assertIdempotencyKeys(RuntimeStore store, SessionId session, List<String> expected) {
        List<String> keys = new ArrayList<>();
        loadAll(store).forEach((stored, inputs) -> {
            if (stored.id().equals(session)) {
                inputs.forEach(input -> keys.add(input.idempotencyKey()));
            }
        });
        assertEquals(expected, keys, "idempotency keys still stored");
    }

    private static Map<InputLifecycleState, Long> withoutZeros(Map<InputLifecycleState, Long> counts) {
        Map<InputLifecycleState, Long> nonZero = new LinkedHashMap<>();
        counts.forEach((state, count) -> {
            if (count != 0) {
                nonZero.put(state, count);
            }
        });
        return nonZero;
    }
}
