package io.meerkat.runtime.api;

import java.util.Collection;

/** No executor factory provides the requested kind. */
public final class UnknownExecutorException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    private final String kind;

    public UnknownExecutorException(String kind, Collection<String> known) {
        super("no executor of kind '" + kind + "' (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }

    @Override
    public String code() {
        return "unknown_executor";
    }
}
