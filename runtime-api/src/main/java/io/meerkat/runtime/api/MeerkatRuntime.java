package io.meerkat.runtime.api;

import io.meerkat.runtime.api.cluster.RuntimeCluster;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * A running Meerkat runtime: the sessions it holds and the executor kinds it can run.
 * Thread safe. Closing it stops every session and resolves every pending completion.
 *
 * <p>No argument may be {@code null}: every method throws {@link NullPointerException} naming the
 * parameter, before it changes anything.
 */
public interface MeerkatRuntime extends AutoCloseable {

    /**
     * Creates a session and, when the spec names an executor kind, its runtime loop.
     *
     * @throws UnknownExecutorException   if no factory provides the kind
     * @throws DuplicateSessionException  if the id is taken
     * @throws RuntimeClosedException     after {@link #close()}
     * @throws IllegalArgumentException   if the config holds a key the factory does not declare
     *                                    ({@link io.meerkat.runtime.api.spi.ExecutorFactory#configKeys()}),
     *                                    or the factory refuses a value
     * @throws IllegalStateException      if the kind's factory returns no executor ({@code null}); the
     *                                    message names the factory's class and the kind
     */
    SessionHandle createSession(SessionSpec spec);

    /** The session with this id, if it exists. */
    Optional<SessionHandle> session(SessionId sessionId);

    /**
     * The session with this id.
     *
     * @throws SessionNotFoundException if there is none
     */
    default SessionHandle sessionOrThrow(SessionId sessionId) {
        return session(sessionId).orElseThrow(() -> new SessionNotFoundException(sessionId));
    }

    /** Every session, in no particular order. */
    Collection<SessionHandle> sessions();

    /**
     * Destroys a session and forgets it: its queued inputs, its ledger and the outcomes the completion
     * registry remembers for it ({@link io.meerkat.runtime.api.spi.CompletionRegistry#forgetSession}) go
     * with it, and its id is free again. The waiters of its unfinished inputs get
     * {@link CompletionOutcome.RuntimeTerminated} {@code "runtime session unregistered"} (Meerkat 0.5's
     * wording for removal; {@link SessionHandle#destroy()} alone says {@code "runtime destroyed"}).
     * Removing a session already destroyed only forgets it.
     *
     * @throws SessionNotFoundException if there is none
     */
    LifecycleReport removeSession(SessionId sessionId);

    /**
     * This runtime as a node of a cluster, if it shares its store with other runtimes (the {@code postgres}
     * store); empty for a runtime on its own.
     */
    default Optional<RuntimeCluster> cluster() {
        return Optional.empty();
    }

    /** The executor kinds sessions may be created with. */
    Set<String> executorKinds();

    /** Stops every session (reason {@code "runtime closed"}), resolves every waiter, frees the pool. */
    @Override
    void close();
}
