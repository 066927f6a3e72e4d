package io.meerkat.runtime.api;

import java.util.Objects;

/**
 * A unit of ordinary work submitted to a session. Every kind carries an {@link InputHeader} and a
 * text that becomes the conversation append of the run that consumes it.
 *
 * <p>Inputs are immutable; the runtime tracks each one's lifecycle separately
 * ({@link InputLifecycleState}).
 */
public sealed interface Input {

    InputHeader header();

    InputKind kind();

    /** The content appended to the conversation; never {@code null}. */
    String text();

    /** This input with another header (same kind and content). */
    Input withHeader(InputHeader header);

    /** Shorthand for {@code header().id()}. */
    default InputId id() {
        return header().id();
    }

    /** An operator prompt with a fresh header. */
    static Prompt prompt(String text) {
        return new Prompt(InputHeader.from(InputSource.OPERATOR), text);
    }

    /** An external event with a fresh header. */
    static ExternalEvent externalEvent(String eventType, String text) {
        return new ExternalEvent(InputHeader.from(InputSource.EXTERNAL), eventType, text);
    }

    /** A user prompt: starts a turn of its own. */
    record Prompt(InputHeader header, String text) implements Input {
        public Prompt {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.PROMPT;
        }

        @Override
        public Prompt withHeader(InputHeader newHeader) {
            return new Prompt(newHeader, text);
        }
    }

    /** A message from another agent. */
    record PeerMessage(InputHeader header, String peer, String text) implements Input {
        public PeerMessage {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.PEER_MESSAGE;
        }

        @Override
        public PeerMessage withHeader(InputHeader newHeader) {
            return new PeerMessage(newHeader, peer, text);
        }
    }

    /** A request from another agent that expects a response. */
    record PeerRequest(InputHeader header, String peer, String requestId, String text) implements Input {
        public PeerRequest {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.PEER_REQUEST;
        }

        @Override
        public PeerRequest withHeader(InputHeader newHeader) {
            return new PeerRequest(newHeader, peer, requestId, text);
        }
    }

    /**
     * Progress on a request this session sent to another agent; coalesces on the steer lane: a newer
     * report replaces the queued ones with the same supersession key, or without a key those of the
     * same peer and request.
     */
    record PeerResponseProgress(InputHeader header, String peer, String requestId, String text)
            implements Input {
        public PeerResponseProgress {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.PEER_RESPONSE_PROGRESS;
        }

        @Override
        public PeerResponseProgress withHeader(InputHeader newHeader) {
            return new PeerResponseProgress(newHeader, peer, requestId, text);
        }
    }

    /** The final answer to a request this session sent to another agent. */
    record PeerResponseTerminal(InputHeader header, String peer, String requestId, String text)
            implements Input {
        public PeerResponseTerminal {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.PEER_RESPONSE_TERMINAL;
        }

        @Override
        public PeerResponseTerminal withHeader(InputHeader newHeader) {
            return new PeerResponseTerminal(newHeader, peer, requestId, text);
        }
    }

    /** One step of a flow that drives the session. */
    record FlowStep(InputHeader header, String flowId, String step, String text) implements Input {
        public FlowStep {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(flowId, "flowId");
            Objects.requireNonNull(step, "step");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.FLOW_STEP;
        }

        @Override
        public FlowStep withHeader(InputHeader newHeader) {
            return new FlowStep(newHeader, flowId, step, text);
        }
    }

    /** Something that happened outside (a webhook, a timer, a file change). */
    record ExternalEvent(InputHeader header, String eventType, String text) implements Input {
        public ExternalEvent {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(eventType, "eventType");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.EXTERNAL_EVENT;
        }

        @Override
        public ExternalEvent withHeader(InputHeader newHeader) {
            return new ExternalEvent(newHeader, eventType, text);
        }
    }

    /** Resumes a turn after background work completed; steers the session. */
    record Continuation(InputHeader header, String text) implements Input {
        public Continuation {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.CONTINUATION;
        }

        @Override
        public Continuation withHeader(InputHeader newHeader) {
            return new Continuation(newHeader, text);
        }
    }

    /** A bookkeeping operation: consumed on acceptance, never runs a turn. */
    record Operation(InputHeader header, String operation, String text) implements Input {
        public Operation {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public InputKind kind() {
            return InputKind.OPERATION;
        }

        @Override
        public Operation withHeader(InputHeader newHeader) {
            return new Operation(newHeader, operation, text);
        }
    }
}
