package io.meerkat.runtime.api.spi;

/**
 * A run failure that retrying would only repeat: a rejected request, a missing file, a bad
 * configuration. An executor completes its {@link CoreExecutor#apply apply} stage exceptionally with
 * it (directly or as a cause anywhere in the chain) to say so; the runtime then abandons the run's inputs
 * ({@link io.meerkat.runtime.api.AbandonReason#FAILED_PERMANENTLY}) at once instead of retrying them.
 * Any other failure is taken as transient and retried under the runtime's retry policy.
 */
public class PermanentFailureException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PermanentFailureException(String message) {
        super(message);
    }

    public PermanentFailureException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether {@code failure} or one of its causes is a {@code PermanentFailureException}. */
    public static boolean isPermanent(Throwable failure) {
        Throwable t = failure;
        // Bounded: a cause chain may loop back on itself.
        for (int depth = 0; t != null && depth < 32; depth++, t = t.getCause()) {
            if (t instanceof PermanentFailureException) {
                return true;
            }
        }
        return false;
    }
}
