package io.meerkat.runtime.api;

/** The session's phase refuses the request (e.g. input after stop, reset while running). */
public final class RuntimeNotReadyException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    private final RuntimeState state;

    public RuntimeNotReadyException(SessionId sessionId, RuntimeState state, String request) {
        super("session " + sessionId + " is " + state + " and refuses " + request);
        this.state = state;
    }

    /** The phase that refused. */
    public RuntimeState state() {
        return state;
    }

    @Override
    public String code() {
        return "not_ready";
    }
}
