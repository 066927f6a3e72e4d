package io.meerkat.runtime.api;

/** An input's content is larger than the runtime's configured limit; nothing was stored. */
public final class PayloadTooLargeException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    private final long size;
    private final long limit;

    public PayloadTooLargeException(long size, long limit) {
        super("payload of " + size + " characters exceeds the limit of " + limit);
        this.size = size;
        this.limit = limit;
    }

    public long size() {
        return size;
    }

    public long limit() {
        return limit;
    }

    @Override
    public String code() {
        return "payload_too_large";
    }
}
