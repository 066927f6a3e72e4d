package io.meerkat.runtime.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Facts about the turn a run executes, merged from its inputs.
 *
 * @param executionKind  content turn, or a resume when every input is a continuation
 * @param correlationIds the inputs' correlation ids, in order (values accumulate)
 * @param attributes     scalar facts; when inputs disagree, the last one wins
 */
public record TurnMetadata(ExecutionKind executionKind, List<String> correlationIds,
                           Map<String, String> attributes) {

    public TurnMetadata {
        Objects.requireNonNull(executionKind, "executionKind");
        correlationIds = List.copyOf(correlationIds);
        attributes = Map.copyOf(attributes);
    }
}
