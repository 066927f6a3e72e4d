package io.meerkat.runtime.api;

/** How an input must survive a crash. */
public enum Durability {
    /** Persisted before acceptance is acknowledged; survives a restart. */
    DURABLE,
    /** Kept in memory only; dropped on recovery. */
    EPHEMERAL,
    /** Recomputed from other state; only the runtime itself may submit it. */
    DERIVED
}
