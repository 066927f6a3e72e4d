package io.meerkat.runtime.api;

import java.time.Instant;

/**
 * One step of an input's history.
 *
 * @param at     when it happened
 * @param from   the state before; {@code null} for the first record (admission)
 * @param to     the state after
 * @param reason why, when the step has a reason (an abandon, a rollback); else {@code null}
 */
public record InputTransitionRecord(Instant at, InputLifecycleState from, InputLifecycleState to,
                                    String reason) {
}
