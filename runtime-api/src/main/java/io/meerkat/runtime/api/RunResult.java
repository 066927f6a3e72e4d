package io.meerkat.runtime.api;

import java.util.Map;
import java.util.Objects;

/**
 * What a completed run produced.
 *
 * @param text       the reply text
 * @param attributes extra facts about the run (model, token usage, exit code, ...)
 */
public record RunResult(String text, Map<String, String> attributes) {

    public RunResult {
        Objects.requireNonNull(text, "text");
        attributes = Map.copyOf(attributes);
    }

    /** A result with text only. */
    public static RunResult of(String text) {
        return new RunResult(text, Map.of());
    }
}
