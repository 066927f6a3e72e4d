package io.meerkat.executor.openai;

import java.util.Objects;
import java.util.Optional;

/**
 * What one streamed chat completion produced.
 *
 * @param text         the concatenated content deltas
 * @param model        the model the server says answered, or the one asked for when it says none
 * @param finishReason why the model stopped ({@code stop}, {@code length}, ...), empty if not reported
 * @param usage        the token counts, empty if the server sent none
 */
record ChatCompletion(String text, String model, Optional<String> finishReason, Optional<TokenUsage> usage) {

    ChatCompletion {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(usage, "usage");
    }
}
