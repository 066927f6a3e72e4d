package io.meerkat.runtime.api;

/** An explicit choice of lane that overrides the default policy for an input. */
public enum HandlingMode {
    /** Start a new run from the queue lane. */
    QUEUE,
    /** Join the run in progress at its next checkpoint, from the steer lane. */
    STEER
}
