package io.meerkat.runtime.api.spi;

import java.util.Optional;
import java.util.Set;

/**
 * A set of executor factories that changes while the runtime runs, e.g. the factories that PF4J
 * plugins contribute. The runtime looks a kind up each time it creates a session.
 *
 * <p>Withdrawal order, which is what makes unloading a plugin safe: the catalog first stops
 * answering for the kinds, then tells every {@link WithdrawalListener} (the runtime stops the
 * sessions running those kinds and waits until their executors are closed), and only then lets the
 * code behind the factories go.
 */
public interface ExecutorCatalog {

    /** The factory for {@code kind}, if the catalog currently has one. */
    Optional<ExecutorFactory> factory(String kind);

    /** The kinds the catalog currently has. */
    Set<String> kinds();

    /** Adds a listener told about every withdrawal from now on. */
    void addWithdrawalListener(WithdrawalListener listener);

    /** Told when kinds leave an {@link ExecutorCatalog}. */
    @FunctionalInterface
    interface WithdrawalListener {

        /**
         * Called after {@code kinds} left the catalog and before their factories' code is released;
         * returns once nothing of the listener's still uses an executor of those kinds.
         *
         * @param reason why, e.g. {@code "plugin echo-executor stopped"}
         */
        void kindsWithdrawn(Set<String> kinds, String reason);
    }
}
