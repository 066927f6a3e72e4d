package io.meerkat.runtime.api;

/**
 * The session (or the runtime as a whole) holds as many unfinished inputs, or as much of their content,
 * as it is allowed to; nothing was stored. Retrying once queued inputs have finished may succeed.
 */
public final class QueueFullException extends MeerkatException {

    private static final long serialVersionUID = 1L;

    public QueueFullException(String message) {
        super(message);
    }

    @Override
    public String code() {
        return "queue_full";
    }
}
