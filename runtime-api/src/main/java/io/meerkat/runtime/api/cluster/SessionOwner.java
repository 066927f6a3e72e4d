package io.meerkat.runtime.api.cluster;

import io.meerkat.runtime.api.SessionId;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Who runs a session: the node holding its lease, at which epoch (each new owner's is one higher), and
 * whether the lease is live (renewed within its time to live). A session whose lease lapsed or was let go
 * has no live owner until another node claims it.
 *
 * @param nodeId    the holder, {@code null} if the lease was let go
 * @param advertise where the holder answers, {@code null} if none or unknown
 */
public record SessionOwner(SessionId sessionId, String nodeId, URI advertise, long epoch, boolean live) {

    public SessionOwner {
        Objects.requireNonNull(sessionId, "sessionId");
    }

    /** Where the live owner answers; empty while the session is between owners. */
    public Optional<URI> liveAddress() {
        return live && advertise != null ? Optional.of(advertise) : Optional.empty();
    }
}
