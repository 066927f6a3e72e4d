package io.meerkat.runtime.api;

/**
 * The root of every error the runtime reports to its callers. Each subtype names one cause and
 * carries a stable {@link #code()} (used by the HTTP API); a failed call changes nothing.
 */
public abstract sealed class MeerkatException extends RuntimeException
        permits SessionNotFoundException, InputRejectedException, RuntimeNotReadyException,
        IllegalTransitionException, PayloadTooLargeException, RuntimeClosedException,
        UnknownExecutorException, DuplicateSessionException, QueueFullException,
        StoreUnavailableException, SessionMovedException {

    private static final long serialVersionUID = 1L;

    protected MeerkatException(String message) {
        super(message);
    }

    protected MeerkatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A stable snake_case code for this kind of error, e.g. {@code "session_not_found"}. */
    public abstract String code();
}
