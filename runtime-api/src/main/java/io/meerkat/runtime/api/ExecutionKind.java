package io.meerkat.runtime.api;

/** What kind of turn a staged batch asks for. */
public enum ExecutionKind {
    /** A turn driven by new content. */
    CONTENT_TURN,
    /** Every input is a continuation: resume a pending turn. */
    RESUME_PENDING
}
