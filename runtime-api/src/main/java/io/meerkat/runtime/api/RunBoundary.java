package io.meerkat.runtime.api;

/** Where in a turn a run's appends take effect. */
public enum RunBoundary {
    /** At once, outside any turn. */
    IMMEDIATE,
    /** As the start of a new turn. */
    RUN_START,
    /** At the next checkpoint of the turn in progress. */
    RUN_CHECKPOINT
}
