package io.meerkat.executor.openai;

import java.util.Objects;

/**
 * An API key read from the environment. It only ever leaves this object as an {@code Authorization}
 * header value; {@link #toString()} never shows it, so settings and log lines may print it safely.
 */
final class ApiKey {

    private final String value;

    ApiKey(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    /** The {@code Authorization} header value. */
    String bearer() {
        return "Bearer " + value;
    }

    /** {@code text} with every occurrence of the key replaced by {@code [redacted]}. */
    String redact(String text) {
        return text.replace(value, "[redacted]");
    }

    @Override
    public String toString() {
        return "ApiKey[redacted]";
    }
}
