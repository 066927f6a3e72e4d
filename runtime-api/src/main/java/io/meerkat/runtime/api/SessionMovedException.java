package io.meerkat.runtime.api;

import java.net.URI;
import java.util.Optional;

/**
 * The session is not run by this node: another node of the cluster owns it ({@link #owner()} says where
 * it answers), or it is between owners (a failover or a drain is under way; ask again shortly). A front end
 * forwards the call to the owner, or tells its client to retry.
 */
public final class SessionMovedException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    private final SessionId sessionId;
    /** Where the owner answers; {@code null} while the session has no live owner. */
    private final URI owner;

    public SessionMovedException(SessionId sessionId, URI owner) {
        super(owner == null
                ? "session " + sessionId + " is moving between nodes; retry shortly"
                : "session " + sessionId + " is run by the node at " + owner);
        this.sessionId = sessionId;
        this.owner = owner;
    }

    public SessionId sessionId() {
        return sessionId;
    }

    /** Where the node owning the session answers, if it has a live owner. */
    public Optional<URI> owner() {
        return Optional.ofNullable(owner);
    }

    @Override
    public String code() {
        return "session_moved";
    }
}
