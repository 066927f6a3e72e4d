package io.meerkat.runtime.api;

/** A session with the requested id already exists. */
public final class DuplicateSessionException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    public DuplicateSessionException(SessionId sessionId) {
        super("session " + sessionId + " already exists");
    }

    @Override
    public String code() {
        return "duplicate_session";
    }
}
