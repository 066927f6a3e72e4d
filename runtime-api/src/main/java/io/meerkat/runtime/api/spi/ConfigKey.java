package io.meerkat.runtime.api.spi;

import java.util.Objects;

/**
 * One configuration key an {@link ExecutorFactory} reads, and who may set it.
 *
 * <p>Configuration has two owners. The <em>operator</em> decides what runs on the host and where
 * credentials go (a program to start, an endpoint, the name of a variable holding a key, limits):
 * such keys are set only in the operator's profiles. A <em>client</em> creating a session may set only
 * the keys its factory marks {@link Owner#CLIENT} (a model, a delay). The runtime refuses every key a
 * factory does not declare, so a misspelt key is an error, not a silent default.
 *
 * @param name        the key, e.g. {@code "delayMs"}; a name ending in {@code '.'} declares a family of
 *                    keys with that prefix, e.g. {@code "env."} for {@code env.PATH}
 * @param owner       who may set it
 * @param description one line for operators and clients, e.g. shown by {@code GET /v1/executors}
 * @param secret      whether its value is a secret (a key, a password): it is never written to a
 *                    {@link RuntimeStore}, never logged, and must come again from the operator's profile
 *                    when the session is recovered
 */
public record ConfigKey(String name, Owner owner, String description, boolean secret) {

    /** Who may set a key. */
    public enum Owner {
        /** A client may set it when creating a session; an operator's profile may give it a default. */
        CLIENT,
        /** Only the operator's profiles set it: it decides what runs on the host or where credentials go. */
        OPERATOR
    }

    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(description, "description");
        if (name.isBlank() || name.equals(".")) {
            throw new IllegalArgumentException("a config key needs a name");
        }
    }

    /** A key that is not secret. */
    public ConfigKey(String name, Owner owner, String description) {
        this(name, owner, description, false);
    }

    /** This key, marked secret. */
    public ConfigKey asSecret() {
        return new ConfigKey(name, owner, description, true);
    }

    /** A key a client may set. */
    public static ConfigKey client(String name, String description) {
        return new ConfigKey(name, Owner.CLIENT, description);
    }

    /** A key only the operator may set. */
    public static ConfigKey operator(String name, String description) {
        return new ConfigKey(name, Owner.OPERATOR, description);
    }

    /** Whether this declares a family of keys ({@code env.}) rather than one key. */
    public boolean isPrefix() {
        return name.endsWith(".");
    }

    /** Whether {@code key} is this key, or one of its family when this is a prefix. */
    public boolean matches(String key) {
        return isPrefix() ? key.length() > name.length() && key.startsWith(name) : key.equals(name);
    }
}
