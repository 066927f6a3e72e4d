package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.InputLifecycleState;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static io.meerkat.runtime.api.InputLifecycleState.ABANDONED;
import static io.meerkat.runtime.api.InputLifecycleState.ACCEPTED;
import static io.meerkat.runtime.api.InputLifecycleState.APPLIED;
import static io.meerkat.runtime.api.InputLifecycleState.APPLIED_PENDING_CONSUMPTION;
import static io.meerkat.runtime.api.InputLifecycleState.COALESCED;
import static io.meerkat.runtime.api.InputLifecycleState.CONSUMED;
import static io.meerkat.runtime.api.InputLifecycleState.QUEUED;
import static io.meerkat.runtime.api.InputLifecycleState.STAGED;
import static io.meerkat.runtime.api.InputLifecycleState.SUPERSEDED;

/**
 * The one owner of input lifecycle legality: which {@link InputLifecycleState} may follow which.
 * Terminal states have no successor; every non-terminal state may be abandoned.
 */
public final class InputLifecycleMachine {

    private static final Map<InputLifecycleState, Set<InputLifecycleState>> NEXT =
            new EnumMap<>(InputLifecycleState.class);

    static {
        NEXT.put(ACCEPTED, EnumSet.of(QUEUED, CONSUMED, ABANDONED));
        NEXT.put(QUEUED, EnumSet.of(STAGED, SUPERSEDED, COALESCED, ABANDONED));
        NEXT.put(STAGED, EnumSet.of(QUEUED, APPLIED, ABANDONED));
        NEXT.put(APPLIED, EnumSet.of(APPLIED_PENDING_CONSUMPTION, ABANDONED));
        NEXT.put(APPLIED_PENDING_CONSUMPTION, EnumSet.of(CONSUMED, ABANDONED));
        for (InputLifecycleState state : InputLifecycleState.values()) {
            NEXT.putIfAbsent(state, EnumSet.noneOf(InputLifecycleState.class));
        }
    }

    private InputLifecycleMachine() {
    }

    /** Whether {@code from → to} is a legal step. */
    public static boolean canTransition(InputLifecycleState from, InputLifecycleState to) {
        return NEXT.get(from).contains(to);
    }

    /**
     * Checks a step the runtime is about to take.
     *
     * @throws IllegalStateException if it is illegal: a bug in the runtime, never the caller's fault
     */
    static void check(InputLifecycleState from, InputLifecycleState to) {
        if (!canTransition(from, to)) {
            throw new IllegalStateException("illegal input transition " + from + " -> " + to);
        }
    }
}
