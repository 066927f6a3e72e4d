package io.meerkat.runtime.core.control;

import static io.meerkat.runtime.api.RuntimeState.DESTROYED;
import static io.meerkat.runtime.api.RuntimeState.INITIALIZING;
import static io.meerkat.runtime.api.RuntimeState.RETIRED;
import static io.meerkat.runtime.api.RuntimeState.RUNNING;
import static io.meerkat.runtime.api.RuntimeState.STOPPED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.RuntimeTransition;
import io.meerkat.runtime.api.RuntimeTransition.AdmissionAccepted;
import io.meerkat.runtime.api.RuntimeTransition.AdmissionDeduplicated;
import io.meerkat.runtime.api.RuntimeTransition.AdmissionRejected;
import io.meerkat.runtime.api.RuntimeTransition.AttachExecutor;
import io.meerkat.runtime.api.RuntimeTransition.BeginRun;
import io.meerkat.runtime.api.RuntimeTransition.DestroyRequested;
import io.meerkat.runtime.api.RuntimeTransition.DetachExecutor;
import io.meerkat.runtime.api.RuntimeTransition.ExternalToolDeltaReceived;
import io.meerkat.runtime.api.RuntimeTransition.Initialize;
import io.meerkat.runtime.api.RuntimeTransition.RecoverRequested;
import io.meerkat.runtime.api.RuntimeTransition.RecoverySucceeded;
import io.meerkat.runtime.api.RuntimeTransition.RecycleRequested;
import io.meerkat.runtime.api.RuntimeTransition.RecycleSucceeded;
import io.meerkat.runtime.api.RuntimeTransition.ResetRequested;
import io.meerkat.runtime.api.RuntimeTransition.ResumeRequested;
import io.meerkat.runtime.api.RuntimeTransition.RetireRequested;
import io.meerkat.runtime.api.RuntimeTransition.RunCancelled;
import io.meerkat.runtime.api.RuntimeTransition.RunCompleted;
import io.meerkat.runtime.api.RuntimeTransition.RunFailed;
import io.meerkat.runtime.api.RuntimeTransition.StopRequested;
import io.meerkat.runtime.api.RuntimeTransition.SubmitWork;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random transition sequences against the machine's invariants. Reproduce a failure with
 * {@code -Dmeerkat.seed=<base seed from the message>}.
 */
class RuntimeControlMachinePropertyTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x6D65_6572_6B61_74L);
    private static final int SEEDS = 5;
    private static final int SEQUENCES_PER_SEED = 2_000;
    private static final int MAX_STEPS = 40;
    private static final int KINDS = 21;

    static Stream<Long> seeds() {
        return LongStream.range(0, SEEDS).mapToObj(i -> BASE_SEED + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomSequencesKeepTheInvariants(long seed) {
        Random random = new Random(seed);
        int applied = 0;
        for (int sequence = 0; sequence < SEQUENCES_PER_SEED; sequence++) {
            RuntimeControlMachine machine = new RuntimeControlMachine(
                    random.nextInt(8) == 0 ? INITIALIZING : RuntimeState.IDLE);
            List<Step> trace = new ArrayList<>();
            int steps = 1 + random.nextInt(MAX_STEPS);
            for (int step = 0; step < steps; step++) {
                RuntimeTransition input = randomInput(random, machine.currentRunId());
                int seq = sequence;
                int at = step;
                Supplier<String> where = () -> "base seed " + BASE_SEED + " (-Dmeerkat.seed), seed " + seed
                        + ", sequence " + seq + ", step " + at + ", input " + input + ", after " + trace;
                boolean ok = checkStep(machine, input, where);
                applied += ok ? 1 : 0;
                trace.add(new Step(input, ok, machine.state()));
                checkInvariants(machine, where);
            }
        }
        assertTrue(applied > SEQUENCES_PER_SEED, "seed " + seed + ": too few legal steps (" + applied + ")");
    }

    /** One input, whether it was applied, and the phase after it; formatted only on failure. */
    private record Step(RuntimeTransition input, boolean applied, RuntimeState after) {
        @Override
        public String toString() {
            return input.name() + (applied ? "->" + after : " refused");
        }
    }

    /** Applies one input and checks the step-local properties; returns whether it succeeded. */
    private static boolean checkStep(RuntimeControlMachine machine, RuntimeTransition input, Supplier<String> where) {
        RuntimeState before = machine.state();
        Optional<RunId> runBefore = machine.currentRunId();
        boolean predicted = machine.canApply(input);
        assertEquals(before, machine.state(), () -> "canApply changed state; " + where.get());
        assertEquals(runBefore, machine.currentRunId(), () -> "canApply changed run; " + where.get());

        TransitionResult result;
        try {
            result = machine.apply(input);
        } catch (IllegalTransitionException e) {
            assertFalse(predicted, () -> "canApply said yes but apply failed; " + where.get());
            assertEquals(before, e.from(), () -> "error names wrong phase; " + where.get());
            assertEquals(input, e.input(), () -> "error names wrong input; " + where.get());
            assertEquals(before, machine.state(), () -> "failed apply changed state; " + where.get());
            assertEquals(runBefore, machine.currentRunId(), () -> "failed apply changed run; " + where.get());
            return false;
        }
        assertTrue(predicted, () -> "canApply said no but apply succeeded; " + where.get());
        assertEquals(before, result.from(), () -> "result.from; " + where.get());
        assertEquals(machine.state(), result.to(), () -> "result.to; " + where.get());
        if (before == DESTROYED) {
            fail("DESTROYED accepted " + input + "; " + where.get());
        }
        if (before == STOPPED && !(input instanceof DestroyRequested)) {
            fail("STOPPED accepted " + input + "; " + where.get());
        }
        if (input instanceof BeginRun begin) {
            assertEquals(Optional.of(begin.runId()), machine.currentRunId(), () -> "BeginRun run id; " + where.get());
        }
        return true;
    }

    private static void checkInvariants(RuntimeControlMachine machine, Supplier<String> where) {
        RuntimeState state = machine.state();
        assertEquals(machine.currentRunId().isPresent(), machine.hasActiveRun(), () -> "hasActiveRun; " + where.get());
        if (state == RUNNING) {
            assertTrue(machine.hasActiveRun(), () -> "RUNNING without a run; " + where.get());
        }
        if (machine.hasActiveRun()) {
            assertTrue(state == RUNNING || state == RETIRED, () -> "run active in " + state + "; " + where.get());
        }
        if (state == STOPPED || state == DESTROYED) {
            assertFalse(machine.hasActiveRun(), () -> "terminal with a run; " + where.get());
        }
    }

    private static RuntimeTransition randomInput(Random random, Optional<RunId> active) {
        return switch (random.nextInt(KINDS)) {
            case 0 -> new Initialize();
            case 1 -> new AttachExecutor();
            case 2 -> new DetachExecutor();
            case 3 -> new BeginRun(randomRunId(random));
            case 4 -> new RunCompleted(someRunId(random, active));
            case 5 -> new RunFailed(someRunId(random, active));
            case 6 -> new RunCancelled(someRunId(random, active));
            case 7 -> new SubmitWork();
            case 8 -> new AdmissionAccepted(random.nextBoolean() ? Lane.QUEUE : Lane.STEER);
            case 9 -> new AdmissionRejected();
            case 10 -> new AdmissionDeduplicated();
            case 11 -> new RecoverRequested();
            case 12 -> new RecoverySucceeded();
            case 13 -> new ResumeRequested();
            case 14 -> new RetireRequested();
            case 15 -> new ResetRequested();
            // Stop and Destroy end a sequence's interesting part; keep them rarer than the rest.
            case 16 -> random.nextInt(4) == 0 ? new StopRequested() : new SubmitWork();
            case 17 -> random.nextInt(4) == 0 ? new DestroyRequested() : new ExternalToolDeltaReceived();
            case 18 -> new ExternalToolDeltaReceived();
            case 19 -> new RecycleRequested();
            case 20 -> new RecycleSucceeded();
            default -> throw new AssertionError();
        };
    }

    /** The active run three times in four, otherwise a stranger. */
    private static RunId someRunId(Random random, Optional<RunId> active) {
        return active.isPresent() && random.nextInt(4) != 0 ? active.get() : randomRunId(random);
    }

    private static RunId randomRunId(Random random) {
        return new RunId(new UUID(random.nextLong(), random.nextLong()));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyKindIsDrawn(long seed) {
        Random random = new Random(seed);
        Set<Class<?>> drawn = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            drawn.add(randomInput(random, Optional.empty()).getClass());
        }
        assertEquals(Set.of(RuntimeTransition.class.getPermittedSubclasses()), drawn, "seed " + seed);
    }
}
