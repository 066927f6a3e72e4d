package io.meerkat.runtime.api;

/** The control machine refused a transition; the session's state is unchanged. */
public final class IllegalTransitionException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    private final RuntimeState from;
    private final transient RuntimeTransition input;

    public IllegalTransitionException(RuntimeState from, RuntimeTransition input, String detail) {
        super("illegal transition " + input.name() + " from " + from + (detail.isEmpty() ? "" : ": " + detail));
        this.from = from;
        this.input = input;
    }

    /** The phase the transition was asked from. */
    public RuntimeState from() {
        return from;
    }

    /** The refused transition. */
    public RuntimeTransition input() {
        return input;
    }

    @Override
    public String code() {
        return "illegal_transition";
    }
}
