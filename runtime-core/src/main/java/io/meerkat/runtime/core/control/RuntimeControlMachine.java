package io.meerkat.runtime.core.control;

import static io.meerkat.runtime.api.RuntimeState.ATTACHED;
import static io.meerkat.runtime.api.RuntimeState.DESTROYED;
import static io.meerkat.runtime.api.RuntimeState.IDLE;
import static io.meerkat.runtime.api.RuntimeState.INITIALIZING;
import static io.meerkat.runtime.api.RuntimeState.RECOVERING;
import static io.meerkat.runtime.api.RuntimeState.RETIRED;
import static io.meerkat.runtime.api.RuntimeState.RUNNING;
import static io.meerkat.runtime.api.RuntimeState.STOPPED;

import io.meerkat.runtime.api.IllegalTransitionException;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one owner of phase legality for a session: a table-driven state machine over
 * {@link RuntimeState} fed with {@link RuntimeTransition}s.
 *
 * <p>Guarantees: {@link #apply} either succeeds and returns the phases before and after, or throws {@link IllegalTransitionException} naming the phase and input and changes nothing;
 * {@link #canApply} answers the same question without changing anything. After every call
 * {@code RUNNING} implies an active run, an active run exists only in {@code RUNNING} or
 * {@code RETIRED}, {@code STOPPED} admits only {@code DestroyRequested} and {@code DESTROYED} admits
 * nothing. The machine decides legality only: the caller (the session driver) carries out what a
 * transition means, such as abandoning inputs on a stop or waking the loop, in the same critical
 * section as the {@code apply} that allowed it.
 *
 * <p>Not thread safe: the owner of a session serialises every call.
 */
public final class RuntimeControlMachine {

    private static final Map<RuntimeState, Map<Class<? extends RuntimeTransition>, Rule>> TABLE = buildTable();

    private Snapshot current;

    /**
     * Creates a machine in {@code initial} with no active run.
     *
     * @param initial usually {@link RuntimeState#IDLE}; {@link RuntimeState#INITIALIZING} before setup
     */
    public RuntimeControlMachine(RuntimeState initial) {
        this.current = Snapshot.runless(Objects.requireNonNull(initial, "initial"));
    }

    /** A machine in {@link RuntimeState#IDLE}, as every session driver starts. */
    public static RuntimeControlMachine startingIdle() {
        return new RuntimeControlMachine(IDLE);
    }

    /** The current phase. */
    public RuntimeState state() {
        return current.phase();
    }

    /** The active run, if any; present in {@code RUNNING}, and in {@code RETIRED} while a run drains. */
    public Optional<RunId> currentRunId() {
        return Optional.ofNullable(current.runId());
    }

    /** The active run, or {@code null}: {@link #currentRunId()} without the {@code Optional}. */
    public RunId currentRunIdOrNull() {
        return current.runId();
    }

    /** {@code true} when a run is active. */
    public boolean hasActiveRun() {
        return current.runId() != null;
    }

    /**
     * Applies {@code input} to the current phase.
     *
     * @return the phases before and after
     * @throws IllegalTransitionException if the table has no rule for the pair or its guard refuses;
     *                                    the machine is then unchanged
     */
    public TransitionResult apply(RuntimeTransition input) {
        Snapshot before = current;
        Verdict verdict = evaluate(before, input);
        if (verdict instanceof Refused refused) {
            throw new IllegalTransitionException(before.phase(), input, refused.detail().get());
        }
        current = (Snapshot) verdict;
        return new TransitionResult(before.phase(), current.phase());
    }

    /**
     * The phase {@link #apply} would move to now, without moving (to write the change down before it
     * is made).
     *
     * @throws IllegalTransitionException as {@link #apply} would
     */
    public RuntimeState preview(RuntimeTransition input) {
        Verdict verdict = evaluate(current, input);
        if (verdict instanceof Refused refused) {
            throw new IllegalTransitionException(current.phase(), input, refused.detail().get());
        }
        return ((Snapshot) verdict).phase();
    }

    /** {@code true} exactly when {@link #apply} would succeed now; changes nothing. */
    public boolean canApply(RuntimeTransition input) {
        return evaluate(current, input) instanceof Snapshot;
    }

    /**
     * The phases from which some input of {@code kind} may be legal (its guard may still refuse).
     *
     * @return an immutable set, empty for an unknown kind
     */
    public static Set<RuntimeState> sourcesOf(Class<? extends RuntimeTransition> kind) {
        EnumSet<RuntimeState> sources = EnumSet.noneOf(RuntimeState.class);
        TABLE.forEach((phase, rules) -> {
            if (rules.containsKey(kind)) {
                sources.add(phase);
            }
        });
        return Collections.unmodifiableSet(sources);
    }

    @Override
    public String toString() {
        return "RuntimeControlMachine[" + current + "]";
    }

    private static Verdict evaluate(Snapshot now, RuntimeTransition input) {
        Objects.requireNonNull(input, "input");
        Rule rule = TABLE.get(now.phase()).get(input.getClass());
        if (rule == null) {
            return new Refused(() -> "legal only from " + sourcesOf(input.getClass()));
        }
        return rule.evaluate(now, input);
    }

    // ---- the table --------------------------------------------------------------------------

    private static Map<RuntimeState, Map<Class<? extends RuntimeTransition>, Rule>> buildTable() {
        TableBuilder t = new TableBuilder();
        Set<RuntimeState> accepting = EnumSet.of(IDLE, ATTACHED, RUNNING);
        Set<RuntimeState> nonTerminal = EnumSet.of(INITIALIZING, IDLE, ATTACHED, RUNNING, RECOVERING, RETIRED);

        t.on(Initialize.class, Set.of(INITIALIZING), to(IDLE));
        t.on(AttachExecutor.class, Set.of(IDLE), to(ATTACHED));
        t.on(DetachExecutor.class, Set.of(ATTACHED), to(IDLE));

        t.on(BeginRun.class, EnumSet.of(IDLE, ATTACHED, RETIRED, RECOVERING), RuntimeControlMachine::beginRun);
        runEnded(t, RUNNING, now -> returnPhase(now.preRun()));
        // A retire that arrived mid-run keeps the session retired once that run ends.
        runEnded(t, RETIRED, now -> RETIRED);

        t.on(SubmitWork.class, accepting, stay());
        t.on(AdmissionAccepted.class, accepting, stay());
        t.on(AdmissionRejected.class, accepting, stay());
        t.on(AdmissionDeduplicated.class, accepting, stay());
        t.on(ExternalToolDeltaReceived.class, EnumSet.of(IDLE, ATTACHED, RUNNING, RECOVERING, RETIRED), stay());

        // From RUNNING the run is abandoned by recovery, so RECOVERING never holds a run.
        t.on(RecoverRequested.class, accepting, toClearingRun(RECOVERING));
        t.on(RecoverySucceeded.class, Set.of(RECOVERING), toClearingRun(IDLE));
        t.on(ResumeRequested.class, Set.of(RECOVERING), toClearingRun(IDLE));
        t.on(RecycleRequested.class, EnumSet.of(IDLE, ATTACHED, RETIRED), RuntimeControlMachine::recycle);
        t.on(RecycleSucceeded.class, Set.of(RECOVERING), toClearingRun(IDLE));

        // A run in flight stays active in RETIRED until it reports its end.
        t.on(RetireRequested.class, accepting, to(RETIRED));
        // Stop and Destroy drop any run: a run is active only in RUNNING or RETIRED. Reset is refused while
        // a run is active (as in Meerkat): it would leave the executor applying a run nobody tracks.
        t.on(ResetRequested.class, EnumSet.of(INITIALIZING, IDLE, ATTACHED, RECOVERING, RETIRED),
                RuntimeControlMachine::reset);
        t.on(StopRequested.class, nonTerminal, toClearingRun(STOPPED));
        Set<RuntimeState> destroyable = EnumSet.copyOf(nonTerminal);
        destroyable.add(STOPPED);
        t.on(DestroyRequested.class, destroyable, toClearingRun(DESTROYED));
        return t.build();
    }

    private static Verdict beginRun(Snapshot now, BeginRun in) {
        if (now.runId() != null) {
            // One active run at most: RUNNING ⇔ exactly one run id.
            return new Refused(() -> "run " + now.runId() + " is still active; cannot begin " + in.runId());
        }
        return new Snapshot(RUNNING, in.runId(), now.phase());
    }

    private static void runEnded(TableBuilder t, RuntimeState from, Function<Snapshot, RuntimeState> target) {
        t.on(RunCompleted.class, Set.of(from), (now, in) -> endRun(now, in.runId(), target));
        t.on(RunFailed.class, Set.of(from), (now, in) -> endRun(now, in.runId(), target));
        t.on(RunCancelled.class, Set.of(from), (now, in) -> endRun(now, in.runId(), target));
    }

    private static Verdict endRun(Snapshot now, RunId reported, Function<Snapshot, RuntimeState> target) {
        if (now.runId() == null) {
            return new Refused(() -> "no run is active; got " + reported);
        }
        if (!now.runId().equals(reported)) {
            // Only the active run may end itself; a stale report must not end its successor.
            return new Refused(() -> "expected run " + now.runId() + " but got " + reported);
        }
        return Snapshot.runless(target.apply(now));
    }

    private static RuntimeState returnPhase(RuntimeState preRun) {
        if (preRun == null) {
            return IDLE;
        }
        return switch (preRun) {
            case RETIRED -> RETIRED;
            case ATTACHED -> ATTACHED;
            case INITIALIZING, IDLE, RUNNING, RECOVERING, STOPPED, DESTROYED -> IDLE;
        };
    }

    private static Verdict reset(Snapshot now, ResetRequested in) {
        if (now.runId() != null) {
            return new Refused(() -> "run " + now.runId() + " is still active");
        }
        return Snapshot.runless(IDLE);
    }

    private static Verdict recycle(Snapshot now, RecycleRequested in) {
        if (now.runId() != null) {
            // Recycling rebuilds the driver under the run; only a quiet session may recycle.
            return new Refused(() -> "run " + now.runId() + " is still active");
        }
        return Snapshot.runless(RECOVERING);
    }

    private static <T extends RuntimeTransition> TypedRule<T> stay() {
        return (now, in) -> now;
    }

    private static <T extends RuntimeTransition> TypedRule<T> to(RuntimeState target) {
        return (now, in) -> now.runId() == null ? Snapshot.runless(target) : new Snapshot(target, now.runId(), now.preRun());
    }

    private static <T extends RuntimeTransition> TypedRule<T> toClearingRun(RuntimeState target) {
        return (now, in) -> Snapshot.runless(target);
    }

    // ---- plumbing ---------------------------------------------------------------------------

    /**
     * Phase plus run fields; {@code preRun} is the phase a run began from. As a verdict: the transition is
     * allowed, and this is where it leads. Immutable: the run-less one of each phase is shared ({@link #runless}),
     * so only a run's start makes one.
     */
    private record Snapshot(RuntimeState phase, RunId runId, RuntimeState preRun) implements Verdict {

        private static final Snapshot[] RUNLESS = Arrays.stream(RuntimeState.values())
                .map(phase -> new Snapshot(phase, null, null)).toArray(Snapshot[]::new);

        static Snapshot runless(RuntimeState phase) {
            return RUNLESS[phase.ordinal()];
        }
    }

    private sealed interface Verdict permits Snapshot, Refused {
    }

    /** {@code detail} is built only when an exception needs it. */
    private record Refused(Supplier<String> detail) implements Verdict {
    }

    @FunctionalInterface
    private interface Rule {
        Verdict evaluate(Snapshot now, RuntimeTransition input);
    }

    @FunctionalInterface
    private interface TypedRule<T extends RuntimeTransition> {
        Verdict evaluate(Snapshot now, T input);
    }

    private static final class TableBuilder {
        private final Map<RuntimeState, Map<Class<? extends RuntimeTransition>, Rule>> table =
                new EnumMap<>(RuntimeState.class);

        <T extends RuntimeTransition> void on(Class<T> kind, Set<RuntimeState> from, TypedRule<T> rule) {
            Rule erased = (now, input) -> rule.evaluate(now, kind.cast(input));
            for (RuntimeState phase : from) {
                Rule previous = table.computeIfAbsent(phase, p -> new HashMap<>()).putIfAbsent(kind, erased);
                if (previous != null) {
                    throw new IllegalStateException("two rules for " + kind.getSimpleName() + " from " + phase);
                }
            }
        }

        Map<RuntimeState, Map<Class<? extends RuntimeTransition>, Rule>> build() {
            Map<RuntimeState, Map<Class<? extends RuntimeTransition>, Rule>> frozen = new EnumMap<>(RuntimeState.class);
            for (RuntimeState phase : RuntimeState.values()) {
                frozen.put(phase, Map.copyOf(table.getOrDefault(phase, Map.of())));
            }
            return Collections.unmodifiableMap(frozen);
        }
    }
}
