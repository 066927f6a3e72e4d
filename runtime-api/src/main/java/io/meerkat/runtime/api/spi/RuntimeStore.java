package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import java.util.List;
import java.util.Optional;

/**
 * Where a runtime keeps its sessions, their inputs, the receipts of the run boundaries they applied,
 * and the outcomes of finished inputs, so that they survive a restart or a crash.
 *
 * <h2>Guarantees an implementation gives</h2>
 * <ul>
 *   <li>{@link #commit} is atomic and durable: when it returns, every change of every batch it was given
 *       is written and survives a crash of the process; when it throws, none is. Batches are applied in
 *       order, changes within a batch in order.</li>
 *   <li>Thread safe. Commits may come from several threads; an implementation may serialise them
 *       (SQLite has one writer). The runtime already merges concurrent callers' batches into one call
 *       (group commit), so one call is one transaction, one fsync.</li>
 *   <li>Reads ({@link #load}, {@link #outcome}, {@link #receipt}, {@link #info}) see every commit that
 *       returned before they began, and go on while the store refuses writes, where it can.</li>
 *   <li>A value of a config key an executor declares secret never reaches a store: the runtime drops
 *       it before it builds a {@link StoredSession}.</li>
 * </ul>
 * Implementations come from a {@link RuntimeStoreProvider}, found by name.
 *
 * <h2>What a runtime with a store guarantees its users</h2>
 * A durable input is acknowledged only once it is committed; a run boundary (receipt, consumed inputs,
 * outcomes) is one commit; a restart or crash loses nothing acknowledged. State transitions are
 * exactly-once, an executor's side effects at-least-once: a run in flight at a crash runs again after
 * recovery. Each input of a run carries an attempt key
 * ({@link io.meerkat.runtime.api.RunPrimitive.StagedInput#attemptKey(int)}), the same for the redone
 * attempt, which an executor passes on as an idempotency key when an effect must not happen twice.
 */
public interface RuntimeStore extends AutoCloseable {

    /**
     * Writes {@code batches} in one transaction, all or nothing.
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the write failed; nothing was written
     */
    void commit(List<StoreBatch> batches);

    /**
     * Hands every stored session to {@code visitor}, each followed by its inputs in
     * {@link StoredInput#sequence()} order, for a runtime opening the store to recover them. The whole load
     * reads one snapshot. The visitor may {@link #commit} while the load runs (a runtime writes what it
     * recovered as it goes); those writes do not show in this load. The visitor must not read from the store
     * (a load may hold the store's only read connection for its whole length).
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the store cannot be read
     */
    void load(StoreVisitor visitor);

    /** The outcome stored for a finished input, if the store still has it. */
    Optional<CompletionOutcome> outcome(SessionId sessionId, InputId inputId);

    /** The last receipt stored for a run, if any. */
    Optional<RunBoundaryReceipt> receipt(SessionId sessionId, RunId runId);

    /**
     * Forgets finished inputs (with their outcomes) of every session beyond the newest
     * {@code policy.keepPerSession()}, and those that finished before {@code policy.finishedBefore()}.
     * Their idempotency keys go with them: the dedup window is this retention. A store may forget them in
     * several transactions (each atomic), so that commits are not held up by a large prune.
     *
     * @return how many inputs were forgotten
     */
    long prune(RetentionPolicy policy);

    /**
     * The store's support for several runtimes sharing it, if it has any; a runtime opening a store that
     * has runs as one node of a cluster.
     */
    default Optional<ClusterStore> cluster() {
        return Optional.empty();
    }

    /** What the store holds, for operators ({@code meerkat store info}). */
    StoreInfo info();

    /** Releases the store's connections and files; later calls fail. */
    @Override
    void close();
}
