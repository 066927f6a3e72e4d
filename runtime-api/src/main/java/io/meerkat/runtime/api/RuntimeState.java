package io.meerkat.runtime.api;

/**
 * The phase of one session's runtime. Which phase may follow which is decided by the runtime's
 * control machine alone; the predicates here only classify a phase.
 */
public enum RuntimeState {
    /** Created, not yet initialised. */
    INITIALIZING,
    /** Ready; no executor attached. */
    IDLE,
    /** Ready, with an executor attached to a runtime loop. */
    ATTACHED,
    /** One run is in flight. */
    RUNNING,
    /** Rebuilding after a crash or during a recycle. */
    RECOVERING,
    /** Refuses new input, still drains what it holds. */
    RETIRED,
    /** Terminal: only {@code Destroy} may follow. */
    STOPPED,
    /** Terminal and absorbing. */
    DESTROYED;

    /** {@code true} for {@link #STOPPED} and {@link #DESTROYED}. */
    public boolean isTerminal() {
        return this == STOPPED || this == DESTROYED;
    }

    /** {@code true} when new input is admitted: {@link #IDLE}, {@link #ATTACHED}, {@link #RUNNING}. */
    public boolean canAcceptInput() {
        return this == IDLE || this == ATTACHED || this == RUNNING;
    }

    /** {@code true} when the queue may start a run: {@link #IDLE}, {@link #ATTACHED}, {@link #RETIRED}. */
    public boolean canProcessQueue() {
        return this == IDLE || this == ATTACHED || this == RETIRED;
    }
}
