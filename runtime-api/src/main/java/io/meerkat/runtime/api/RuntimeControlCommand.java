package io.meerkat.runtime.api;

/**
 * A runtime-level command, handled by the session itself (not by its executor).
 *
 * <p>{@link Stop} moves the session to {@link RuntimeState#STOPPED}: every non-terminal input is
 * abandoned with {@link AbandonReason#STOPPED}, both lanes are emptied and every waiter is resolved
 * {@link CompletionOutcome.RuntimeTerminated}. {@link Resume} ends a recovery; in another live
 * phase it does nothing, and after a stop it is refused with {@link IllegalTransitionException}.
 */
public sealed interface RuntimeControlCommand {

    /** Stop the session for good. */
    record Stop() implements RuntimeControlCommand {
    }

    /** Leave {@link RuntimeState#RECOVERING}; a no-op in another live phase, refused once stopped or destroyed. */
    record Resume() implements RuntimeControlCommand {
    }
}
