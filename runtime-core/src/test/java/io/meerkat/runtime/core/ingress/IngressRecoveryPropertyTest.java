package io.meerkat.runtime.core.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random histories cut at random points, as a store that lags memory would hold them, restored into a
 * fresh ingress: every input comes back by the recovery rules, the lanes in their order, the dedup index
 * whole, and the ingress's invariants hold.
 */
class IngressRecoveryPropertyTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x5EC_0FE5L);
    private static final SessionId SESSION = SessionId.random();

    static Stream<Long> seeds() {
        return LongStream.range(0, 10).mapToObj(i -> BASE_SEED + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void restoredInputsFollowTheRecoveryRules(long seed) {
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            runRound(random, "seed " + seed + " round " + round + " (base seed via -Dmeerkat.seed)");
        }
    }

    private static void runRound(Random random, String context) {
        Ingress original = new Ingress(1 + random.nextInt(40));
        Map<InputId, Input> submitted = new HashMap<>();
        Batch inFlight = null;
        long now = 1;
        for (int step = 0, steps = 1 + random.nextInt(50); step < steps; step++) {
            int roll = random.nextInt(100);
            now += random.nextInt(3);
            if (roll < 50) {
                Input input = IngressPropertyTest.randomInput(random);
                if (original.admit(input, inFlight == null, now) instanceof Admission.Accepted) {
                    submitted.put(input.id(), input);
                }
            } else if (roll < 65 && inFlight == null) {
                inFlight = original.drainNextBatch(1 + random.nextInt(8));
                if (inFlight != null) {
                    original.stage(inFlight, RunId.random(), now);
                }
            } else if (roll < 80 && inFlight != null) {
                original.consume(inFlight, now);
                inFlight = null;
            } else if (roll < 90 && inFlight != null) {
                original.rollback(inFlight, "failed", now, RetryPolicy.DEFAULT_MAX_ATTEMPTS);
                inFlight = null;
            } else if (roll < 93) {
                original.abandonAll(AbandonReason.RESET, now);
                inFlight = null;
            }
        }

        // What a store holds: each retained input as of some point of its history.
        List<StoredInput> stored = new ArrayList<>();
        Map<InputId, Boolean> receipts = new HashMap<>();
        for (InputRecord record : original.retainedRecords()) {
            InputStatus status = record.toStatus();
            int kept = 1 + random.nextInt(status.history().size());
            List<InputTransitionRecord> history = status.history().subList(0, kept);
            InputLifecycleState cut = history.get(kept - 1).to();
            InputStatus asStored = new InputStatus(status.inputId(), status.kind(), cut, status.lane(),
                    status.attempts(), cut == InputLifecycleState.ABANDONED ? status.abandonReason() : null,
                    cut == InputLifecycleState.SUPERSEDED || cut == InputLifecycleState.COALESCED
                            ? status.supersededBy() : null, history);
            stored.add(new StoredInput(SESSION, record.sequence(), cut.isTerminal() ? null : submitted.get(record.id()),
                    record.idempotencyKey(), asStored, record.stagedRun()));
            receipts.put(record.id(), random.nextBoolean());
        }
        stored.sort(Comparator.comparingLong(StoredInput::sequence));

        Ingress restored = new Ingress(1_000);
        for (StoredInput input : stored) {
            InputLifecycleState before = input.status().state();
            boolean changed = restored.restore(input, receipts.get(input.inputId()), now + 1,
                    RetryPolicy.DEFAULT_MAX_ATTEMPTS);
            InputLifecycleState after = restored.find(input.inputId()).state();
            boolean consumedOnAccept = input.input() != null && DefaultPolicyTable.resolve(input.input(), true).applyMode()
                    == PolicyDecision.ApplyMode.IGNORE;
            assertEquals(consumedOnAccept ? InputLifecycleState.CONSUMED : expected(before, receipts.get(input.inputId()), input.status().attempts()),
                    after, "rule for " + before + "; " + context);
            assertEquals(before != after, changed, "told whether the store must hear of it; " + context);
        }
        IngressPropertyTest.checkInvariants(restored, "restored; " + context);

        List<InputId> queued = stored.stream()
                .filter(input -> restored.find(input.inputId()).state() == InputLifecycleState.QUEUED)
                .map(StoredInput::inputId).toList();
        List<InputId> onLanes = new ArrayList<>();
        for (List<InputRecord> lane : restored.laneContents()) {
            lane.forEach(record -> onLanes.add(record.id()));
        }
        assertEquals(queued.size(), onLanes.size(), "every recovered QUEUED input waits on a lane; " + context);
        assertTrue(onLanes.containsAll(queued), context);

        for (StoredInput input : stored) {
            if (input.idempotencyKey() != null) {
                Input resubmit = new Input.Prompt(io.meerkat.runtime.api.InputHeader
                        .from(io.meerkat.runtime.api.InputSource.OPERATOR).withIdempotencyKey(input.idempotencyKey()), "again");
                assertInstanceOf(Admission.Deduplicated.class, restored.admit(resubmit, true, now + 2),
                        "a resubmit after a restart is deduplicated; " + context);
            }
        }
    }

    private static InputLifecycleState expected(InputLifecycleState stored, boolean receipt, int attempts) {
        // A run a crash cut short counted an attempt: the last one allowed leaves nothing to redo.
        InputLifecycleState cutShort = attempts >= RetryPolicy.DEFAULT_MAX_ATTEMPTS ? InputLifecycleState.ABANDONED
                : InputLifecycleState.QUEUED;
        return switch (stored) {
            case ACCEPTED -> InputLifecycleState.QUEUED;
            case STAGED -> cutShort;
            case APPLIED, APPLIED_PENDING_CONSUMPTION -> receipt ? InputLifecycleState.CONSUMED : cutShort;
            default -> stored;
        };
    }
}
