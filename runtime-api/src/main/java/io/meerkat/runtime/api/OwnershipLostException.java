package io.meerkat.runtime.api;

import java.util.Set;

/**
 * The store refused a write because this node no longer owns the sessions it names: another node of the
 * cluster claimed them (its lease outlived this node's, or an operator drained this node). Nothing of the
 * refused write was written. The runtime stops those sessions here at once, with reason
 * {@value #REASON}, and runs nothing more of them; their owner goes on with what the store holds.
 */
public final class OwnershipLostException extends StoreUnavailableException {

    private static final long serialVersionUID = 1L;

    /** The reason a session's loop is stopped with when its node loses it. */
    public static final String REASON = "ownership lost";

    /** The sessions lost; a set of records, serialisable. */
    private final Set<SessionId> sessions;

    public OwnershipLostException(Set<SessionId> sessions) {
        super("this node no longer owns session" + (sessions.size() == 1 ? " " : "s ") + sessions
                + ": another node claimed " + (sessions.size() == 1 ? "it" : "them"), null);
        this.sessions = Set.copyOf(sessions);
    }

    /** The sessions this node lost. */
    public Set<SessionId> sessions() {
        return sessions;
    }

    @Override
    public String code() {
        return "ownership_lost";
    }
}
