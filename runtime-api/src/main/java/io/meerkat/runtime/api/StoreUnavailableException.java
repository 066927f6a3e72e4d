package io.meerkat.runtime.api;

/**
 * The runtime's store refused or failed a write (disk full, file locked, I/O error, connection lost).
 * Nothing of the failed call was written, and nothing changed in memory either; reads go on, and writes
 * succeed again once the store does.
 */
public sealed class StoreUnavailableException extends MeerkatException permits OwnershipLostException {

    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String code() {
        return "store_unavailable";
    }
}
