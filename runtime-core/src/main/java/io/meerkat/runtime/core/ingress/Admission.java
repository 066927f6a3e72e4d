package io.meerkat.runtime.core.ingress;

import java.util.List;

/** What {@link Ingress#admit} did with one input, or what {@link Ingress#prepare} would do with it. */
public sealed interface Admission {

    /**
     * The input was stored.
     *
     * @param record    its record, QUEUED (or CONSUMED when consumed on acceptance)
     * @param displaced queued inputs it superseded or coalesced, now terminal
     * @param wake      whether the loop should be woken
     */
    record Accepted(InputRecord record, List<InputRecord> displaced, boolean wake) implements Admission {
    }

    /**
     * An input with the same idempotency key exists; nothing was stored.
     *
     * @param existing the existing input's record
     */
    record Deduplicated(InputRecord existing) implements Admission {
    }

    /**
     * An input {@link Ingress#prepare} checked and counted against the runtime's budget, not yet in the
     * ingress: {@link Ingress#place} puts it there, {@link Ingress#release} gives its budget back.
     *
     * @param record    its new record, in the state and lane place it will have (QUEUED, or CONSUMED
     *                  when consumed on acceptance)
     * @param displaced copies of the queued inputs it will coalesce, as they will be
     * @param wake      whether the loop should be woken once it is placed
     * @param nowMillis when it was admitted
     */
    record Prepared(InputRecord record, List<InputRecord> displaced, boolean wake, long nowMillis) implements Admission {
    }
}
