package io.meerkat.runtime.api;

/** No session with the given id exists (or it was removed). */
public final class SessionNotFoundException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    private final transient SessionId sessionId;

    public SessionNotFoundException(SessionId sessionId) {
        super("no session " + sessionId);
        this.sessionId = sessionId;
    }

    public SessionId sessionId() {
        return sessionId;
    }

    @Override
    public String code() {
        return "session_not_found";
    }
}
