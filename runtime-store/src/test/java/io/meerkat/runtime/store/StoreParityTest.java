package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.session;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.status;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoredInput;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory and sqlite stores side by side under the same random commits, valid or not, and prunes, drawn
 * from a few sessions, inputs and runs so that collisions (a reused sequence, an input put under another
 * session, an outcome after its session was removed) are frequent: both must accept or refuse the same
 * commits and hold the same things after each step. Seeded: a failure names the seed
 * ({@code -Dmeerkat.store.seed=...} replays it).
 */
class StoreParityTest {

    /** Steps per run; raise it with {@code -Dmeerkat.store.parity.steps=...} for a longer search. */
    private static final int STEPS = Integer.getInteger("meerkat.store.parity.steps", 250);

    @TempDir
    Path dir;

    @Test
    void memoryAndSqliteAgreeOnEveryCommitAndPrune() {
        long seed = Long.getLong("meerkat.store.seed", System.nanoTime());
        Random random = new Random(seed);
        List<SessionId> sessions = pool(4, SessionId::random);
        List<Input> inputs = pool(10, () -> Input.prompt("x"));
        List<RunId> runs = pool(3, RunId::random);
        Instant start = Instant.parse("2026-12-07T10:00:00Z");
        try (RuntimeStore memory = new MemoryStoreProvider().open(Map.of());
             RuntimeStore sqlite = new SqliteStoreProvider().open(Map.of("path", dir.resolve("parity.db").toString(),
                     "synchronous", "NORMAL"))) {
            for (int step = 0; step < STEPS; step++) {
                String where = "seed " + seed + ", step " + step;
                if (random.nextInt(10) == 0) {
                    RetentionPolicy policy = new RetentionPolicy(random.nextInt(4), start.plusSeconds(random.nextInt(20)));
                    assertEquals(memory.prune(policy), sqlite.prune(policy), where + ": inputs pruned by " + policy);
                } else {
                    List<StoreBatch> batches = new ArrayList<>();
                    for (int b = random.nextInt(3) + 1; b > 0; b--) {
                        List<StoreChange> changes = new ArrayList<>();
                        for (int c = random.nextInt(4) + 1; c > 0; c--) {
                            changes.add(change(random, sessions, inputs, runs, start));
                        }
                        batches.add(new StoreBatch(changes));
                    }
                    assertEquals(outcome(memory, batches), outcome(sqlite, batches), where + ": " + batches);
                }
                assertEquals(loadAll(memory), loadAll(sqlite), where + ": what is stored");
                for (SessionId session : sessions) {
                    for (Input input : inputs) {
                        assertEquals(memory.outcome(session, input.id()), sqlite.outcome(session, input.id()), where);
                    }
                    for (RunId run : runs) {
                        assertEquals(memory.receipt(session, run), sqlite.receipt(session, run), where);
                    }
                }
                assertEquals(memory.info().inputsByState(), sqlite.info().inputsByState(), where);
            }
        }
    }

    private static String outcome(RuntimeStore store, List<StoreBatch> batches) {
        try {
            store.commit(batches);
            return "committed";
        } catch (StoreUnavailableException refused) {
            return "refused";
        }
    }

    private static StoreChange change(Random random, List<SessionId> sessions, List<Input> inputs, List<RunId> runs, Instant start) {
        SessionId session = sessions.get(random.nextInt(sessions.size()));
        Input input = inputs.get(random.nextInt(inputs.size()));
        RunId run = runs.get(random.nextInt(runs.size()));
        switch (random.nextInt(10)) {
            case 0, 1:
                return new StoreChange.PutSession(session(session));
            case 2:
                return new StoreChange.RemoveSession(session);
            case 3:
                return new StoreChange.PutReceipt(session, new RunBoundaryReceipt(run, RunBoundary.RUN_START,
                        List.of(input.id()), null, random.nextInt(5), random.nextInt(3)));
            case 4:
                return new StoreChange.PutOutcome(session, input.id(), new CompletionOutcome.Abandoned("r" + random.nextInt(3)));
            default:
                InputLifecycleState state = InputLifecycleState.values()[random.nextInt(InputLifecycleState.values().length)];
                var status = status(input.id(), input.kind(), state, Lane.QUEUE, random.nextInt(3));
                // Finished at start + 0..19 s, so prunes by age cut through them.
                var history = List.of(new InputTransitionRecord(
                        start.plusSeconds(random.nextInt(20)), null, state, null));
                status = new InputStatus(status.inputId(), status.kind(), state, status.lane(),
                        status.attempts(), status.abandonReason(), status.supersededBy(), history);
                return new StoreChange.PutInput(new StoredInput(session, random.nextInt(6), state.isTerminal() ? null : input,
                        random.nextBoolean() ? "key-" + random.nextInt(3) : null, status, random.nextBoolean() ? run : null));
        }
    }

    private static <T> List<T> pool(int size, Supplier<T> next) {
        List<T> pool = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            pool.add(next.get());
        }
        return pool;
    }
}
