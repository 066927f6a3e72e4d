package io.meerkat.completion.history;

import io.meerkat.completion.OutcomeHistoryCompletionRegistry;
import io.meerkat.completion.osgi.RegistryBundleActivator;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import org.osgi.framework.BundleContext;

/**
 * Registers an {@link OutcomeHistoryCompletionRegistry}: ranking {@code meerkat.registry.history.ranking}
 * (default 10, above the in-memory registry's 0), capacity {@code meerkat.registry.history.capacity}
 * (default {@value OutcomeHistoryCompletionRegistry#DEFAULT_CAPACITY} outcomes) and
 * {@code meerkat.registry.history.max-retained-bytes} (default
 * {@value OutcomeHistoryCompletionRegistry#DEFAULT_MAX_BYTES} bytes of outcomes).
 */
public final class HistoryRegistryActivator extends RegistryBundleActivator {

    /** Called by the OSGi framework. */
    public HistoryRegistryActivator() {
        super("outcome-history", "meerkat.registry.history", 10);
    }

    @Override
    protected CompletionRegistry createRegistry(BundleContext context) {
        return new OutcomeHistoryCompletionRegistry(
                intProperty(context, "capacity", OutcomeHistoryCompletionRegistry.DEFAULT_CAPACITY),
                longProperty(context, "max-retained-bytes", OutcomeHistoryCompletionRegistry.DEFAULT_MAX_BYTES));
    }
}
