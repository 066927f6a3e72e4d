package io.meerkat.runtime.core.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputHeader;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random admissions, runs, failures, cancels and recycles of progress reports and keyed FIFO inputs,
 * checking the replace rules after every admission: the new report is the only QUEUED input of its
 * scope (a report a failed run put back is coalesced too), a FIFO input is never replaced, and a
 * replaced input names a later input of its own scope.
 */
class IngressCoalescePropertyTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 20261207L);
    private static final int SEEDS = 10;
    private static final int SEQUENCES_PER_SEED = 300;

    static List<Long> seeds() {
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < SEEDS; i++) {
            seeds.add(BASE_SEED + i);
        }
        return seeds;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aNewReportLeavesNoOtherQueuedReportOfItsScope(long seed) {
        Random random = new Random(seed);
        for (int sequence = 0; sequence < SEQUENCES_PER_SEED; sequence++) {
            runSequence(random, "seed " + seed + " sequence " + sequence + " (base seed via -Dmeerkat.seed)");
        }
    }

    private static void runSequence(Random random, String context) {
        Ingress ingress = new Ingress(1_000);
        Map<InputId, String> scopes = new HashMap<>();
        Map<InputId, Integer> admittedAt = new HashMap<>();
        Batch inFlight = null;
        List<String> trace = new ArrayList<>();
        int steps = 1 + random.nextInt(40);
        for (int step = 0; step < steps; step++) {
            int roll = random.nextInt(100);
            if (roll < 50) {
                Input input = randomInput(random);
                trace.add("admit " + input.kind() + " " + scopeOf(input));
                InputRecord record = ((Admission.Accepted) ingress.admit(input, inFlight == null, step)).record();
                scopes.put(record.id(), scopeOf(input));
                admittedAt.put(record.id(), step);
                checkAfterAdmission(ingress, record, scopes, context + " after " + trace);
            } else if (roll < 65 && inFlight == null) {
                trace.add("drain+stage");
                inFlight = ingress.drainNextBatch(1 + random.nextInt(4));
                if (inFlight != null) {
                    ingress.stage(inFlight, RunId.random(), step);
                }
            } else if (roll < 75 && inFlight != null) {
                trace.add("consume");
                ingress.consume(inFlight, step);
                inFlight = null;
            } else if (roll < 90 && inFlight != null) {
                trace.add("rollback");
                ingress.rollback(inFlight, "failed", step, RetryPolicy.DEFAULT_MAX_ATTEMPTS);
                inFlight = null;
            } else if (roll < 94 && inFlight != null) {
                trace.add("cancel");
                ingress.abandonStaged(inFlight, AbandonReason.CANCELLED, step);
                inFlight = null;
            } else if (inFlight == null) {
                trace.add("recycle");
                ingress.requeueInterrupted(step);
            }
            checkReplacements(ingress, scopes, admittedAt, context + " after " + trace);
        }
    }

    /** The new input is the only QUEUED input of its scope, when it has one. */
    private static void checkAfterAdmission(Ingress ingress, InputRecord admitted, Map<InputId, String> scopes,
                                            String context) {
        String scope = scopes.get(admitted.id());
        if (scope == null) {
            return;
        }
        for (InputRecord record : ingress.retainedRecords()) {
            if (record != admitted && record.state() == InputLifecycleState.QUEUED) {
                assertNotEquals(scope, scopes.get(record.id()),
                        "a queued report of the new one's scope was left: " + record.id() + "; " + context);
            }
        }
    }

    /** Only reports are replaced, always by a later input of their own scope. */
    private static void checkReplacements(Ingress ingress, Map<InputId, String> scopes,
                                          Map<InputId, Integer> admittedAt, String context) {
        for (InputRecord record : ingress.retainedRecords()) {
            InputLifecycleState state = record.state();
            if (state == InputLifecycleState.SUPERSEDED || state == InputLifecycleState.COALESCED) {
                assertEquals(InputKind.PEER_RESPONSE_PROGRESS, record.kind(), "a FIFO input was replaced; " + context);
                assertEquals(InputLifecycleState.COALESCED, state, context);
                InputId by = record.supersededBy();
                assertEquals(scopes.get(record.id()), scopes.get(by), "replaced across scopes; " + context);
                assertTrue(admittedAt.get(by) > admittedAt.get(record.id()), "replaced by an older input; " + context);
            }
        }
    }

    /** The test's own statement of the rule: the kind and supersession key, else (progress) peer and request. */
    private static String scopeOf(Input input) {
        if (!(input instanceof Input.PeerResponseProgress progress)) {
            return null;
        }
        String key = input.header().supersessionKey();
        return key != null ? "key " + key : "request " + progress.peer() + "/" + progress.requestId();
    }

    private static Input randomInput(Random random) {
        InputHeader header = InputHeader.from(InputSource.PEER);
        if (random.nextInt(3) == 0) {
            header = header.withSupersessionKey("k" + random.nextInt(2));
        }
        return switch (random.nextInt(5)) {
            case 0 -> new Input.ExternalEvent(header, "webhook", "e");
            case 1 -> new Input.Prompt(header, "p");
            default -> new Input.PeerResponseProgress(header, "peer" + random.nextInt(2), "r" + random.nextInt(2), "%");
        };
    }
}
