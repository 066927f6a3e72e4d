package io.meerkat.runtime.api;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * One agent session as an embedder drives it. Every method is thread safe and returns promptly:
 * work runs on the session's runtime loop, never on the caller's thread.
 *
 * <p>Errors are {@link MeerkatException}s and change nothing: {@link RuntimeNotReadyException} when
 * the session's phase refuses the request, {@link InputRejectedException} and
 * {@link PayloadTooLargeException} for bad input, {@link QueueFullException} when the session already
 * holds as much unfinished input as it may. No argument may be {@code null}: a {@code null} one throws
 * {@link NullPointerException} naming the parameter, and changes nothing.
 */
public interface SessionHandle {

    SessionId id();

    /**
     * Admits an input and returns a completion for it. A submit whose idempotency key matches an
     * existing input joins that input's waiters instead of storing a second input.
     *
     * <p>The completion is completed on the session's runtime loop thread (or the thread that ended
     * the session), so non-async callbacks run on it: chain with the {@code *Async} stages and your own
     * executor for anything slow (see {@link Submission}).
     *
     * @throws RuntimeNotReadyException if the phase does not accept input
     * @throws InputRejectedException   if the input fails validation
     * @throws PayloadTooLargeException if the content exceeds the runtime's limit
     * @throws QueueFullException       if the session already holds its most unfinished inputs, or their
     *                                  content would pass the session's or the runtime's bound (a
     *                                  deduplicated submit is never refused this way: it stores nothing)
     */
    Submission submit(Input input);

    /** Admits an input without a completion; cheaper when nobody waits. Same errors as {@link #submit}. */
    AcceptOutcome accept(Input input);

    /**
     * Sends an out-of-band command to the session's executor. It is delivered before any unit of
     * work that has not yet started, and at once to a run in flight. It never affects work that had
     * not begun when it was sent: a {@code CancelCurrentRun} ends only the run in flight at that moment;
     * sent while no run is in flight, it reaches the executor (before the next run's apply) and cancels
     * nothing.
     *
     * @throws RuntimeNotReadyException if the session is DESTROYED (every time, for every command but a
     *                                  stop, which is idempotent and does nothing), or has no runtime
     *                                  loop (queue-only or already stopped); a stop is then applied to
     *                                  the session directly
     */
    void control(RunControlCommand command);

    /**
     * Applies a runtime-level command ({@code Stop}, {@code Resume}). A {@code Stop} of a stopped or
     * destroyed session returns and does nothing: it asks for an end already reached.
     *
     * @throws IllegalTransitionException for a {@code Resume} after the session was stopped or destroyed
     */
    void runtimeControl(RuntimeControlCommand command);

    /** Refuses new input and drains what is queued; the session then stays RETIRED. */
    LifecycleReport retire();

    /**
     * Abandons every non-terminal input and returns to IDLE; refused while a run is active (RUNNING, or
     * RETIRED with a run still in flight), as in Meerkat: cancel or let the run end first.
     */
    LifecycleReport reset();

    /**
     * Abandons everything and ends the session for good: the waiters of its unfinished inputs get
     * {@link CompletionOutcome.RuntimeTerminated} {@code "runtime destroyed"}. The session stays listed by
     * its runtime, in state DESTROYED, its id taken and its inputs' statuses readable, until
     * {@link MeerkatRuntime#removeSession} forgets it. Afterwards every request that would change it is
     * refused: {@link #submit}, {@link #accept} and {@link #control} with {@link RuntimeNotReadyException}
     * (a stop, already achieved, returns and does nothing, as does {@link #runtimeControl}),
     * {@link #destroy}, {@link #reset}, {@link #retire} and {@link #recycle} with
     * {@link IllegalTransitionException}.
     *
     * @throws IllegalTransitionException if it is already destroyed
     */
    LifecycleReport destroy();

    /** Rebuilds the session's driver keeping its queued work; refused while RUNNING. */
    LifecycleReport recycle();

    RuntimeState state();

    /** The lifecycle of one input, if the session knows it. */
    Optional<InputStatus> inputStatus(InputId inputId);

    /**
     * A completion of an input the session already holds, as a submit would have returned: for a caller that
     * was not the submitter, or comes back after a restart (an input recovered from a store has no waiter
     * left). It completes when the input finishes; at once if it has, with its outcome (from the store, for
     * one that finished before a restart, where the runtime has one).
     *
     * @return empty if the session does not know the input (never submitted, or finished and forgotten)
     */
    default Optional<CompletableFuture<CompletionOutcome>> completion(InputId inputId) {
        return Optional.empty();
    }

    /** Every non-terminal input, oldest first. */
    List<InputId> activeInputIds();

    SessionStatus status();

    /**
     * The session's events. Each subscriber gets every event from its subscription on, in order;
     * a subscriber that falls too far behind loses events (visible as gaps in
     * {@link RuntimeEventEnvelope#sequence()}), never slows the session.
     */
    Flow.Publisher<RuntimeEventEnvelope> events();
}
