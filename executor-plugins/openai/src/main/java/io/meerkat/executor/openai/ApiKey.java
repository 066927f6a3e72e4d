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

    @Override
    public String toString() {
        return "ApiKey[redacted]";
    }
}
