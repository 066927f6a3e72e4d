package io.meerkat.distribution.config;

/** A configuration the launcher cannot start with; the message is one line meant for the operator. */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
