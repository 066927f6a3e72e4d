package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Holds the waiters of submitted inputs until the runtime resolves them. It is waiter plumbing
 * only: whether a waiter exists is never runtime truth.
 *
 * <h2>Guarantees every implementation gives</h2>
 * <ul>
 *   <li>Thread safe; an input may have several waiters (a deduplicated submit joins them).</li>
 *   <li>A waiter is resolved at most once by the registry; every resolve call removes the waiters it
 *       resolves.</li>
 *   <li>No waiter is left hanging: one whose entry is dropped ({@link #close()}) is resolved
 *       {@link CompletionOutcome.RuntimeTerminated}, and so is one registered while or after
 *       {@link #close()} runs (at once; never left in a table nobody will sweep).</li>
 *   <li>A resolve completes the waiter on the calling thread (the runtime calls from a session's loop
 *       thread), so the waiter's non-async dependent stages run there too: complete waiters outside
 *       the registry's own locks.</li>
 *   <li>{@link #drainPending()} hands waiters over unresolved, so a replacement registry can adopt
 *       them with {@link #register}.</li>
 * </ul>
 *
 * <h2>Lock order</h2>
 * The runtime never calls a registry while holding a lock of its own (a session's driver lock): it
 * registers a waiter and resolves waiters after releasing it. A registry may therefore complete waiters
 * (whose callbacks may submit to a session) under a lock of its own. A {@code stillPending} predicate
 * takes the session's lock: call it outside every lock of the registry (as the runtime's registries do),
 * or at least never under a lock that a {@link #register} can wait for while another thread holds it.
 * Resolving an unknown input is a no-op that returns 0.
 */
public interface CompletionRegistry extends AutoCloseable {

    /** Adds a waiter for {@code inputId}; the registry completes {@code waiter} exactly once. */
    void register(SessionId sessionId, InputId inputId,
                  CompletableFuture<CompletionOutcome> waiter);

    /**
     * Resolves every waiter of one input.
     *
     * @return how many waiters were resolved
     */
    int resolve(SessionId sessionId, InputId inputId, CompletionOutcome outcome);

    /**
     * Resolves every waiter of several inputs of one session with the same outcome (a run's batch).
     * Implementations may override it to take their lock once.
     *
     * @return how many waiters were resolved
     */
    default int resolveEach(SessionId sessionId, Collection<InputId> inputIds, CompletionOutcome outcome) {
        int resolved = 0;
        for (InputId inputId : inputIds) {
            resolved += resolve(sessionId, inputId, outcome);
        }
        return resolved;
    }

    /**
     * Resolves every waiter of one session {@link CompletionOutcome.RuntimeTerminated}{@code (reason)}.
     *
     * @return how many waiters were resolved
     */
    int resolveAllTerminated(SessionId sessionId, String reason);

    /**
     * Resolves every waiter of every session {@link CompletionOutcome.RuntimeTerminated}{@code (reason)}.
     *
     * @return how many waiters were resolved
     */
    int resolveAllTerminated(String reason);

    /**
     * Resolves {@link CompletionOutcome.RuntimeTerminated}{@code (reason)} the waiters of one session
     * whose input is no longer pending.
     *
     * @param stillPending tells whether an input is still pending; called under no lock of the caller's, and
     *                     by the registry outside its own locks (it takes the session's lock)
     * @return how many waiters were resolved
     */
    int resolveNotPending(SessionId sessionId, Predicate<InputId> stillPending, String reason);

    /** Waiters currently held for one session. */
    int pendingCount(SessionId sessionId);

    /** Waiters currently held in all. */
    int pendingCount();

    /** Removes and returns every waiter, unresolved, for adoption by another registry. */
    List<PendingCompletion> drainPending();

    /**
     * The outcome a finished input was resolved with, for registries that remember outcomes.
     *
     * @return empty when the registry does not remember it (the default)
     */
    default Optional<CompletionOutcome> finishedOutcome(SessionId sessionId, InputId inputId) {
        return Optional.empty();
    }

    /**
     * Forgets the remembered outcomes of a session that is gone for good (the runtime calls it when the
     * session is removed); waiters are not touched. A no-op by default.
     */
    default void forgetSession(SessionId sessionId) {
    }

    /**
     * Roughly how much heap the remembered outcomes take, in bytes ({@code 0} for registries that
     * remember none, the default), for the launcher's metrics.
     */
    default long rememberedOutcomeBytes() {
        return 0;
    }

    /** Resolves every remaining waiter {@link CompletionOutcome.RuntimeTerminated}; must not throw. */
    @Override
    void close();
}
