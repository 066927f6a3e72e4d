package io.meerkat.runtime.core.control;

import static io.meerkat.runtime.api.RuntimeState.ATTACHED;
import static io.meerkat.runtime.api.RuntimeState.DESTROYED;
import static io.meerkat.runtime.api.RuntimeState.IDLE;
import static io.meerkat.runtime.api.RuntimeState.INITIALIZING;
import static io.meerkat.runtime.api.RuntimeState.RECOVERING;
import static io.meerkat.runtime.api.RuntimeState.RETIRED;
import static io.meerkat.runtime.api.RuntimeState.RUNNING;
import static io.meerkat.runtime.api.RuntimeState.STOPPED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class RuntimeControlMachineTest {

    /** How the machine is put into a phase before the pair under test is applied. */
    enum Setup {
        INITIALIZING_(INITIALIZING),
        IDLE_(IDLE),
        ATTACHED_(ATTACHED, new AttachExecutor()),
        RUNNING_(RUNNING, new BeginRun(RunId.random())),
        RECOVERING_(RECOVERING, new RecoverRequested()),
        RETIRED_(RETIRED, new RetireRequested()),
        /** Retired while a run is still in flight. */
        RETIRED_IN_FLIGHT(RETIRED, new BeginRun(RunId.random()), new RetireRequested()),
        STOPPED_(STOPPED, new StopRequested()),
        DESTROYED_(DESTROYED, new DestroyRequested());

        final RuntimeState state;
        final List<RuntimeTransition> path;

        Setup(RuntimeState state, RuntimeTransition... path) {
            this.state = state;
            this.path = List.of(path);
        }

        RuntimeControlMachine build() {
            RuntimeControlMachine machine = new RuntimeControlMachine(state == INITIALIZING ? INITIALIZING : IDLE);
            path.forEach(machine::apply);
            assertEquals(state, machine.state(), "setup " + this);
            return machine;
        }
    }

    /** One sample input per transition kind (AdmissionAccepted once per lane). */
    enum Kind {
        INITIALIZE(run -> new Initialize()),
        ATTACH(run -> new AttachExecutor()),
        DETACH(run -> new DetachExecutor()),
        BEGIN_RUN(run -> new BeginRun(RunId.random())),
        RUN_COMPLETED(run -> new RunCompleted(run.orElseGet(RunId::random))),
        RUN_FAILED(run -> new RunFailed(run.orElseGet(RunId::random))),
        RUN_CANCELLED(run -> new RunCancelled(run.orElseGet(RunId::random))),
        SUBMIT_WORK(run -> new SubmitWork()),
        ACCEPTED_QUEUE(run -> new AdmissionAccepted(Lane.QUEUE)),
        ACCEPTED_STEER(run -> new AdmissionAccepted(Lane.STEER)),
        REJECTED(run -> new AdmissionRejected()),
        DEDUPLICATED(run -> new AdmissionDeduplicated()),
        RECOVER(run -> new RecoverRequested()),
        RECOVERY_SUCCEEDED(run -> new RecoverySucceeded()),
        RESUME(run -> new ResumeRequested()),
        RETIRE(run -> new RetireRequested()),
        RESET(run -> new ResetRequested()),
        STOP(run -> new StopRequested()),
        DESTROY(run -> new DestroyRequested()),
        EXTERNAL_TOOL_DELTA(run -> new ExternalToolDeltaReceived()),
        RECYCLE(run -> new RecycleRequested()),
        RECYCLE_SUCCEEDED(run -> new RecycleSucceeded());

        /** Builds the input from the machine's active run, so run-ending inputs name the right run. */
        final Function<Optional<RunId>, RuntimeTransition> input;

        Kind(Function<Optional<RunId>, RuntimeTransition> input) {
            this.input = input;
        }
    }

    /** What happens to the active run on a legal transition. */
    enum RunAfter { NONE, KEPT, STARTED }

    record Expect(RuntimeState to, RunAfter run) {
    }

    // ---- the expected table, written from the reference, independent of the machine's table ----

    private static final Map<Setup, Map<Kind, Expect>> EXPECTED = new EnumMap<>(Setup.class);

    static {
        for (Setup s : Setup.values()) {
            EXPECTED.put(s, new EnumMap<>(Kind.class));
        }
        legal(Setup.INITIALIZING_, Kind.INITIALIZE, IDLE, RunAfter.NONE);
        legal(Setup.INITIALIZING_, Kind.RESET, IDLE, RunAfter.NONE);
        legal(Setup.INITIALIZING_, Kind.STOP, STOPPED, RunAfter.NONE);
        legal(Setup.INITIALIZING_, Kind.DESTROY, DESTROYED, RunAfter.NONE);

        for (Setup s : List.of(Setup.IDLE_, Setup.ATTACHED_)) {
            RuntimeState here = s.state;
            if (here == IDLE) {
                legal(s, Kind.ATTACH, ATTACHED, RunAfter.NONE);
            } else {
                legal(s, Kind.DETACH, IDLE, RunAfter.NONE);
            }
            legal(s, Kind.BEGIN_RUN, RUNNING, RunAfter.STARTED);
            legal(s, Kind.SUBMIT_WORK, here, RunAfter.NONE);
            legal(s, Kind.ACCEPTED_QUEUE, here, RunAfter.NONE);
            legal(s, Kind.ACCEPTED_STEER, here, RunAfter.NONE);
            legal(s, Kind.REJECTED, here, RunAfter.NONE);
            legal(s, Kind.DEDUPLICATED, here, RunAfter.NONE);
            legal(s, Kind.RECOVER, RECOVERING, RunAfter.NONE);
            legal(s, Kind.RETIRE, RETIRED, RunAfter.NONE);
            legal(s, Kind.RESET, IDLE, RunAfter.NONE);
            legal(s, Kind.STOP, STOPPED, RunAfter.NONE);
            legal(s, Kind.DESTROY, DESTROYED, RunAfter.NONE);
            legal(s, Kind.EXTERNAL_TOOL_DELTA, here, RunAfter.NONE);
            legal(s, Kind.RECYCLE, RECOVERING, RunAfter.NONE);
        }

        Setup r = Setup.RUNNING_;
        legal(r, Kind.RUN_COMPLETED, IDLE, RunAfter.NONE);
        legal(r, Kind.RUN_FAILED, IDLE, RunAfter.NONE);
        legal(r, Kind.RUN_CANCELLED, IDLE, RunAfter.NONE);
        legal(r, Kind.SUBMIT_WORK, RUNNING, RunAfter.KEPT);
        legal(r, Kind.ACCEPTED_QUEUE, RUNNING, RunAfter.KEPT);
        legal(r, Kind.ACCEPTED_STEER, RUNNING, RunAfter.KEPT);
        legal(r, Kind.REJECTED, RUNNING, RunAfter.KEPT);
        legal(r, Kind.DEDUPLICATED, RUNNING, RunAfter.KEPT);
        legal(r, Kind.RECOVER, RECOVERING, RunAfter.NONE);
        legal(r, Kind.RETIRE, RETIRED, RunAfter.KEPT);
        legal(r, Kind.STOP, STOPPED, RunAfter.NONE);
        legal(r, Kind.DESTROY, DESTROYED, RunAfter.NONE);
        legal(r, Kind.EXTERNAL_TOOL_DELTA, RUNNING, RunAfter.KEPT);

        Setup rec = Setup.RECOVERING_;
        legal(rec, Kind.BEGIN_RUN, RUNNING, RunAfter.STARTED);
        legal(rec, Kind.RECOVERY_SUCCEEDED, IDLE, RunAfter.NONE);
        legal(rec, Kind.RESUME, IDLE, RunAfter.NONE);
        legal(rec, Kind.RESET, IDLE, RunAfter.NONE);
        legal(rec, Kind.STOP, STOPPED, RunAfter.NONE);
        legal(rec, Kind.DESTROY, DESTROYED, RunAfter.NONE);
        legal(rec, Kind.EXTERNAL_TOOL_DELTA, RECOVERING, RunAfter.NONE);
        legal(rec, Kind.RECYCLE_SUCCEEDED, IDLE, RunAfter.NONE);

        Setup ret = Setup.RETIRED_;
        legal(ret, Kind.BEGIN_RUN, RUNNING, RunAfter.STARTED);
        legal(ret, Kind.RESET, IDLE, RunAfter.NONE);
        legal(ret, Kind.STOP, STOPPED, RunAfter.NONE);
        legal(ret, Kind.DESTROY, DESTROYED, RunAfter.NONE);
        legal(ret, Kind.EXTERNAL_TOOL_DELTA, RETIRED, RunAfter.NONE);
        legal(ret, Kind.RECYCLE, RECOVERING, RunAfter.NONE);

        // BeginRun, Recycle and (issue 11, defect 6) Reset are refused by the no-active-run guard here.
        Setup fly = Setup.RETIRED_IN_FLIGHT;
        legal(fly, Kind.RUN_COMPLETED, RETIRED, RunAfter.NONE);
        legal(fly, Kind.RUN_FAILED, RETIRED, RunAfter.NONE);
        legal(fly, Kind.RUN_CANCELLED, RETIRED, RunAfter.NONE);
        legal(fly, Kind.STOP, STOPPED, RunAfter.NONE);
        legal(fly, Kind.DESTROY, DESTROYED, RunAfter.NONE);
        legal(fly, Kind.EXTERNAL_TOOL_DELTA, RETIRED, RunAfter.KEPT);

        legal(Setup.STOPPED_, Kind.DESTROY, DESTROYED, RunAfter.NONE);
    }

    private static void legal(Setup s, Kind k, RuntimeState to, RunAfter run) {
        assertTrue(EXPECTED.get(s).put(k, new Expect(to, run)) == null, "duplicate row " + s + "/" + k);
    }

    static Stream<Arguments> everyPair() {
        return Arrays.stream(Setup.values())
                .flatMap(s -> Arrays.stream(Kind.values()).map(k -> Arguments.of(s, k)));
    }

    // ---- the exhaustive matrix ----------------------------------------------------------------

    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("everyPair")
    void everyPairBehavesAsTheReferenceTable(Setup setup, Kind kind) {
        RuntimeControlMachine machine = setup.build();
        Optional<RunId> runBefore = machine.currentRunId();
        RuntimeTransition input = kind.input.apply(runBefore);
        Expect expect = EXPECTED.get(setup).get(kind);

        if (expect == null) {
            IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> machine.apply(input));
            assertEquals(setup.state, e.from());
            assertSame(input, e.input());
            assertTrue(e.getMessage().contains(input.name()) && e.getMessage().contains(setup.state.name()),
                    e.getMessage());
            assertEquals(setup.state, machine.state(), "state unchanged");
            assertEquals(runBefore, machine.currentRunId(), "run unchanged");
            return;
        }

        TransitionResult result = machine.apply(input);
        assertEquals(new TransitionResult(setup.state, expect.to()), result);
        assertEquals(expect.to(), machine.state());
        Optional<RunId> expectedRun = switch (expect.run()) {
            case NONE -> Optional.empty();
            case KEPT -> runBefore;
            case STARTED -> Optional.of(((BeginRun) input).runId());
        };
        assertEquals(expectedRun, machine.currentRunId());
        assertEquals(expectedRun.isPresent(), machine.hasActiveRun());
    }

    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("everyPair")
    void canApplyAgreesWithApplyAndChangesNothing(Setup setup, Kind kind) {
        RuntimeControlMachine machine = setup.build();
        Optional<RunId> runBefore = machine.currentRunId();
        RuntimeTransition input = kind.input.apply(runBefore);

        boolean predicted = machine.canApply(input);
        assertEquals(setup.state, machine.state());
        assertEquals(runBefore, machine.currentRunId());
        assertEquals(EXPECTED.get(setup).containsKey(kind), predicted);

        boolean succeeded;
        try {
            machine.apply(input);
            succeeded = true;
        } catch (IllegalTransitionException e) {
            succeeded = false;
        }
        assertEquals(predicted, succeeded);
    }

    @Test
    void everyTransitionKindIsExercisedAndHasALegalSource() {
        Set<Class<?>> sampled = Arrays.stream(Kind.values())
                .map(k -> k.input.apply(Optional.empty()).getClass())
                .collect(Collectors.toSet());
        assertEquals(Set.of(RuntimeTransition.class.getPermittedSubclasses()), sampled);
        assertEquals(21, sampled.size());
        for (Class<?> kind : RuntimeTransition.class.getPermittedSubclasses()) {
            assertFalse(RuntimeControlMachine.sourcesOf(kind.asSubclass(RuntimeTransition.class)).isEmpty(),
                    kind.getSimpleName());
        }
    }

    @Test
    void sourcesOfMatchesTheExpectedTable() {
        for (Kind kind : Kind.values()) {
            Set<RuntimeState> expected = EnumSet.noneOf(RuntimeState.class);
            EXPECTED.forEach((setup, row) -> {
                if (row.containsKey(kind)) {
                    expected.add(setup.state);
                }
            });
            Class<? extends RuntimeTransition> type = kind.input.apply(Optional.empty()).getClass();
            assertEquals(expected, RuntimeControlMachine.sourcesOf(type), kind.name());
        }
    }

    // ---- run ids ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"RUN_COMPLETED", "RUN_FAILED", "RUN_CANCELLED"})
    void aStaleRunIdIsRefusedNamingBothIdsAndChangesNothing(Kind kind) {
        RunId active = RunId.random();
        RunId stale = RunId.random();
        RuntimeControlMachine machine = RuntimeControlMachine.startingIdle();
        machine.apply(new BeginRun(active));

        RuntimeTransition input = kind.input.apply(Optional.of(stale));
        assertFalse(machine.canApply(input));
        IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> machine.apply(input));
        assertEquals(RUNNING, e.from());
        assertTrue(e.getMessage().contains(active.toString()) && e.getMessage().contains(stale.toString()),
                e.getMessage());
        assertEquals(RUNNING, machine.state());
        assertEquals(Optional.of(active), machine.currentRunId());

        machine.apply(kind.input.apply(Optional.of(active)));
        assertEquals(IDLE, machine.state());
    }

    @Test
    void aStaleRunIdIsRefusedWhileRetiredToo() {
        RunId active = RunId.random();
        RuntimeControlMachine machine = RuntimeControlMachine.startingIdle();
        machine.apply(new BeginRun(active));
        machine.apply(new RetireRequested());

        assertThrows(IllegalTransitionException.class, () -> machine.apply(new RunCompleted(RunId.random())));
        assertEquals(RETIRED, machine.state());
        assertEquals(Optional.of(active), machine.currentRunId());
    }

    @Test
    void beginRunIsRefusedWhileARunIsActive() {
        RunId active = RunId.random();
        RuntimeControlMachine machine = RuntimeControlMachine.startingIdle();
        machine.apply(new BeginRun(active));
        machine.apply(new RetireRequested());

        IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
                () -> machine.apply(new BeginRun(RunId.random())));
        assertTrue(e.getMessage().contains(active.toString()), e.getMessage());
        assertThrows(IllegalTransitionException.class, () -> machine.apply(new RecycleRequested()));
        assertEquals(RETIRED, machine.state());
        assertEquals(Optional.of(active), machine.currentRunId());
    }

    // ---- pre-run phase ------------------------------------------------------------------------

    @Test
    void aRunBegunWhileAttachedReturnsToAttached() {
        RunId run = RunId.random();
        RuntimeControlMachine machine = RuntimeControlMachine.startingIdle();
        machine.apply(new AttachExecutor());
        machine.apply(new BeginRun(run));

        assertEquals(new TransitionResult(RUNNING, ATTACHED), machine.apply(new RunFailed(run)));
        assertFalse(machine.hasActiveRun());
    }

    @Test
    void aRunBegunWhileRetiredReturnsToRetired() {
        RunId run = RunId.random();
        RuntimeControlMachine machine = RuntimeControlMachine.startingIdle();
        machine.apply(new RetireRequested());
        machine.apply(new BeginRun(run));

        assertEquals(new TransitionResult(RUNNING, RETIRED), machine.apply(new RunCompleted(run)));
        assertFalse(machine.hasActiveRun());
    }

    @Test
    void aRunBegunWhileRecoveringReturnsToIdle() {
        RunId run = RunId.random();
        RuntimeControlMachine machine = new RuntimeControlMachine(IDLE);
        machine.apply(new RecoverRequested());
        machine.apply(new BeginRun(run));

        assertEquals(new TransitionResult(RUNNING, IDLE), machine.apply(new RunCancelled(run)));
    }

    @Test
    void retireDuringARunStaysRetiredWhenTheRunEnds() {
        RunId run = RunId.random();
        RuntimeControlMachine machine = RuntimeControlMachine.startingIdle();
        machine.apply(new AttachExecutor());
        machine.apply(new BeginRun(run));
        machine.apply(new RetireRequested());
        assertEquals(Optional.of(run), machine.currentRunId());

        assertEquals(new TransitionResult(RETIRED, RETIRED), machine.apply(new RunCompleted(run)));
        assertFalse(machine.hasActiveRun());

        RunId drain = RunId.random();
        machine.apply(new BeginRun(drain));
        assertEquals(RETIRED, machine.apply(new RunCompleted(drain)).to());
    }

    @Test
    void stopClearsAnActiveRunSoTheOldRunCannotEndLater() {
        RunId run = RunId.random();
        RuntimeControlMachine machine = RuntimeControlMachine.startingIdle();
        machine.apply(new BeginRun(run));
        machine.apply(new StopRequested());

        assertFalse(machine.hasActiveRun());
        assertThrows(IllegalTransitionException.class, () -> machine.apply(new RunCompleted(run)));
        assertEquals(STOPPED, machine.state());
    }

    @Test
    void theStartingPhaseIsTheConstructorArgument() {
        List<RuntimeState> seen = new ArrayList<>();
        seen.add(RuntimeControlMachine.startingIdle().state());
        seen.add(new RuntimeControlMachine(INITIALIZING).state());
        assertEquals(List.of(IDLE, INITIALIZING), seen);
        assertFalse(RuntimeControlMachine.startingIdle().hasActiveRun());
    }
}
