package io.meerkat.runtime.core.testing;

import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An {@link ExecutorCatalog} a test fills and withdraws from, in the documented order. */
public final class MutableCatalog implements ExecutorCatalog {

    private final ConcurrentHashMap<String, ExecutorFactory> factories = new ConcurrentHashMap<>();
    private final List<WithdrawalListener> listeners = new CopyOnWriteArrayList<>();

    public void add(ExecutorFactory factory) {
        factories.put(factory.kind(), factory);
    }

    /** Removes the kind, then tells the listeners; returns when they have returned. */
    public void withdraw(String kind, String reason) {
        factories.remove(kind);
        for (WithdrawalListener listener : listeners) {
            listener.kindsWithdrawn(Set.of(kind), reason);
        }
    }

    @Override
    public Optional<ExecutorFactory> factory(String kind) {
        return Optional.ofNullable(factories.get(kind));
    }

    @Override
    public Set<String> kinds() {
        return Set.copyOf(factories.keySet());
    }

    @Override
    public void addWithdrawalListener(WithdrawalListener listener) {
        listeners.add(listener);
    }
}
