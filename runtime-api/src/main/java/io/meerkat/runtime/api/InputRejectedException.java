package io.meerkat.runtime.api;

/** An input failed validation (e.g. a durability the source may not use); nothing was stored. */
public final class InputRejectedException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public InputRejectedException(String reason) {
        super("input rejected: " + reason);
        this.reason = reason;
    }

    /** Why the input was rejected. */
    public String reason() {
        return reason;
    }

    @Override
    public String code() {
        return "input_rejected";
    }
}
