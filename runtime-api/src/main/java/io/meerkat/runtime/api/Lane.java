package io.meerkat.runtime.api;

/** The two queues of a session. The steer lane is always drained before the queue lane. */
public enum Lane {
    /** Ordinary work, first in first out. */
    QUEUE,
    /** Work that steers the run in progress; served first, never waits behind the queue. */
    STEER
}
