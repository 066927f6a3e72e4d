package io.meerkat.runtime.core.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.HandlingMode;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of admissions, batches, commits, rollbacks, cancels, recycles and resets against
 * one ingress, checking its invariants after every step: no input on two lanes, only QUEUED inputs
 * on lanes, every QUEUED input on its lane, the active count exact, every history a legal path.
 */
class IngressPropertyTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 20261128L);
    private static final int SEEDS = 20;
    private static final int SEQUENCES_PER_SEED = 500;

    static List<Long> seeds() {
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < SEEDS; i++) {
            seeds.add(BASE_SEED + i);
        }
        return seeds;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void invariantsHoldAfterEveryStep(long seed) {
        Random random = new Random(seed);
        for (int sequence = 0; sequence < SEQUENCES_PER_SEED; sequence++) {
            runSequence(random, "seed " + seed + " sequence " + sequence + " (base seed via -Dmeerkat.seed)");
        }
    }

    private static void runSequence(Random random, String context) {
        int maxInputs = 1 + random.nextInt(30);
        long maxChars = 3 + random.nextInt(60);
        QueuedPayloadBudget budget = new QueuedPayloadBudget(
                3 + random.nextInt(60) + random.nextInt(20) * QueuedPayloadBudget.PER_INPUT_CHARS);
        Ingress ingress = new Ingress(1 + random.nextInt(50), maxInputs, maxChars, budget);
        Batch inFlight = null;
        long now = 1;
        int steps = 1 + random.nextInt(60);
        List<String> trace = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            int roll = random.nextInt(100);
            now += random.nextInt(3);
            if (roll < 45) {
                Input input = randomInput(random);
                trace.add("admit " + input.kind());
                try {
                    ingress.admit(input, inFlight == null, now);
                } catch (io.meerkat.runtime.api.QueueFullException full) {
                    trace.add("refused");
                }
            } else if (roll < 60 && inFlight == null) {
                trace.add("drain+stage");
                inFlight = ingress.drainNextBatch(1 + random.nextInt(8));
                if (inFlight != null) {
                    ingress.stage(inFlight, RunId.random(), now);
                }
            } else if (roll < 72 && inFlight != null) {
                trace.add("consume");
                ingress.consume(inFlight, now);
                inFlight = null;
            } else if (roll < 82 && inFlight != null) {
                trace.add("rollback");
                ingress.rollback(inFlight, "failed", now, RetryPolicy.DEFAULT_MAX_ATTEMPTS);
                inFlight = null;
            } else if (roll < 88 && inFlight != null) {
                trace.add("cancel");
                ingress.abandonStaged(inFlight, AbandonReason.CANCELLED, now);
                inFlight = null;
            } else if (roll < 92 && inFlight == null) {
                trace.add("recycle");
                ingress.requeueInterrupted(now);
            } else if (roll < 95) {
                trace.add("abandonAll");
                ingress.abandonAll(AbandonReason.RESET, now);
                inFlight = null;
            }
            checkInvariants(ingress, context + " after " + trace);
            checkBounds(ingress, maxInputs, maxChars, budget, context + " after " + trace);
        }
    }

    private static void checkBounds(Ingress ingress, int maxInputs, long maxChars, QueuedPayloadBudget budget,
                                    String context) {
        long activeChars = 0;
        for (InputRecord record : ingress.retainedRecords()) {
            if (record.state().isTerminal()) {
                assertNull(record.input(), "a finished input keeps no content; " + context);
            } else {
                activeChars += record.payloadChars();
            }
        }
        assertEquals(activeChars, ingress.activeChars(), "active content; " + context);
        assertEquals(activeChars + ingress.activeCount() * QueuedPayloadBudget.PER_INPUT_CHARS, budget.used(),
                "the budget holds exactly the active inputs; " + context);
        assertTrue(ingress.activeCount() <= maxInputs, "count bound; " + context);
        assertTrue(activeChars <= maxChars && budget.used() <= budget.limit(), "content bounds; " + context);
    }

    static Input randomInput(Random random) {
        InputHeader header = InputHeader.from(random.nextBoolean() ? InputSource.OPERATOR : InputSource.PEER);
        if (random.nextInt(5) == 0) {
            header = header.withIdempotencyKey("k" + random.nextInt(4));
        }
        if (random.nextInt(4) == 0) {
            header = header.withSupersessionKey("s" + random.nextInt(2));
        }
        if (random.nextInt(6) == 0) {
            header = header.withHandlingMode(random.nextBoolean() ? HandlingMode.QUEUE : HandlingMode.STEER);
        }
        return switch (random.nextInt(6)) {
            case 0 -> new Input.Prompt(header, "p");
            case 1 -> new Input.ExternalEvent(header, "t", "e");
            case 2 -> new Input.PeerMessage(header, "peer", "m");
            case 3 -> new Input.PeerResponseProgress(header.withHandlingMode(null), "peer", "r" + random.nextInt(2), "%");
            case 4 -> new Input.Continuation(header, "c");
            default -> new Input.Operation(header.withHandlingMode(null), "op", "");
        };
    }

    static void checkInvariants(Ingress ingress, String context) {
        Set<InputRecord> onLanes = new HashSet<>();
        for (List<InputRecord> lane : ingress.laneContents()) {
            long previous = Long.MIN_VALUE;
            for (InputRecord record : lane) {
                assertTrue(record.sequence() > previous, "a lane sorted by sequence is the lane; " + context);
                previous = record.sequence();
                assertTrue(onLanes.add(record), "an input is on two lanes: " + record.id() + "; " + context);
                assertEquals(InputLifecycleState.QUEUED, record.state(), "only QUEUED inputs wait; " + context);
            }
        }
        int active = 0;
        for (InputRecord record : ingress.retainedRecords()) {
            if (!record.state().isTerminal()) {
                active++;
            }
            if (record.state() == InputLifecycleState.QUEUED) {
                assertTrue(onLanes.contains(record), "a QUEUED input is on no lane; " + context);
            }
            checkHistory(record.toStatus(), context);
        }
        assertEquals(active, ingress.activeCount(), "active count; " + context);
    }

    private static void checkHistory(InputStatus status, String context) {
        List<InputTransitionRecord> history = status.history();
        assertNull(history.get(0).from(), context);
        assertEquals(InputLifecycleState.ACCEPTED, history.get(0).to(), context);
        for (int i = 1; i < history.size(); i++) {
            InputTransitionRecord step = history.get(i);
            assertEquals(history.get(i - 1).to(), step.from(), "history is a path; " + context);
            boolean recovered = step.reason() != null && step.reason().startsWith("recovered");
            if (!recovered && !InputLifecycleMachine.canTransition(step.from(), step.to())) {
                fail("illegal step " + step.from() + " -> " + step.to() + "; " + context);
            }
            assertTrue(!step.at().isBefore(history.get(i - 1).at()), "history is in time order; " + context);
        }
        assertEquals(status.state(), history.get(history.size() - 1).to(), context);
        assertEquals(status.state() == InputLifecycleState.ABANDONED, status.abandonReason() != null, context);
    }
}
