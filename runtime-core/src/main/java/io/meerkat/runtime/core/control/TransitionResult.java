package io.meerkat.runtime.core.control;

import io.meerkat.runtime.api.RuntimeState;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one successful {@link RuntimeControlMachine#apply} call.
 *
 * @param from    the phase before the transition
 * @param to      the phase after it (may equal {@code from})
 * @param effects what the caller must now carry out, in order; immutable
 */
public record TransitionResult(RuntimeState from, RuntimeState to, List<RuntimeEffect> effects) {

    public TransitionResult {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        effects = List.copyOf(effects);
    }
}
