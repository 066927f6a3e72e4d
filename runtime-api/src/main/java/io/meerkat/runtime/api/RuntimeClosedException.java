package io.meerkat.runtime.api;

/** The runtime has been closed and takes no more requests. */
public final class RuntimeClosedException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    public RuntimeClosedException() {
        super("the runtime is closed");
    }

    @Override
    public String code() {
        return "runtime_closed";
    }
}
