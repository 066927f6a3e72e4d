package io.meerkat.runtime.api;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Flow;

/**
 * One agent session as an embedder drives it. Every method is thread safe and returns promptly:
 * work runs on the session's runtime loop, never on the caller's thread.
 *
 * <p>Errors are {@link MeerkatException}s and change nothing: {@link RuntimeNotReadyException} when
 * the session's phase refuses the request, {@link InputRejectedException} and
 * {@link PayloadTooLargeException} for bad input, {@link QueueFullException} when the session already
 * holds as much unfinished input as it may.
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
     * work that has not yet started, and at once to a run in flight.
     *
     * @throws RuntimeNotReadyException if the session has no runtime loop (queue-only or already
     *                                  stopped); a stop is then applied to the session directly
     */
    void control(RunControlCommand command);

    /**
     * Applies a runtime-level command ({@code Stop}, {@code Resume}).
     *
     * @throws IllegalTransitionException for a {@code Resume} after the session was stopped or destroyed
     */
    void runtimeControl(RuntimeControlCommand command);

    /** Refuses new input and drains what is queued; the session then stays RETIRED. */
    LifecycleReport retire();

    /** Abandons every non-terminal input and returns to IDLE; refused while RUNNING. */
    LifecycleReport reset();

    /** Abandons everything and ends the session for good. */
    LifecycleReport destroy();

    /** Rebuilds the session's driver keeping its queued work; refused while RUNNING. */
    LifecycleReport recycle();

    RuntimeState state();

    /** The lifecycle of one input, if the session knows it. */
    Optional<InputStatus> inputStatus(InputId inputId);

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
