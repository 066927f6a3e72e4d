package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import java.util.Objects;

/**
 * An input as a store keeps it: durable inputs only (an ephemeral one is never written).
 *
 * @param sessionId      its session
 * @param sequence       its place in its lane, lower first (lanes are rebuilt in this order): the session
 *                       numbers an input put at the back of a lane above, and one put at the front below,
 *                       every input already there
 * @param input          what was submitted; {@code null} once the input is finished (its content is let go)
 * @param idempotencyKey its idempotency key, kept after it finished for dedup; {@code null} if none
 * @param status         its lifecycle: state, lane, attempts, abandon reason, replacement, history
 * @param stagedRun      the run that last staged it, {@code null} if none did
 */
public record StoredInput(SessionId sessionId, long sequence, Input input, String idempotencyKey,
                          InputStatus status, RunId stagedRun) {

    public StoredInput {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(status, "status");
        if (input != null && !input.id().equals(status.inputId())) {
            throw new IllegalArgumentException("input " + input.id() + " stored with the status of " + status.inputId());
        }
    }

    public InputId inputId() {
        return status.inputId();
    }
}
