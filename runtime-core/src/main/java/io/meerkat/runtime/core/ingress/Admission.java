package io.meerkat.runtime.core.ingress;

import java.util.List;

/** What {@link Ingress#admit} did with one input. */
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
}
