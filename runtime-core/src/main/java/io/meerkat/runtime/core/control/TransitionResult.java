package io.meerkat.runtime.core.control;

import io.meerkat.runtime.api.RuntimeState;
import java.util.Objects;

/**
 * The outcome of one successful {@link RuntimeControlMachine#apply} call.
 *
 * @param from the phase before the transition
 * @param to   the phase after it (may equal {@code from})
 */
public record TransitionResult(RuntimeState from, RuntimeState to) {

    public TransitionResult {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }
}
