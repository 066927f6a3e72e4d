package io.meerkat.completion.osgi;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import org.osgi.framework.BundleContext;

/**
 * Registers an {@link InMemoryCompletionRegistry}, ranking {@code meerkat.registry.in-memory.ranking}
 * (default 0).
 */
public final class InMemoryRegistryActivator extends RegistryBundleActivator {

    /** Called by the OSGi framework. */
    public InMemoryRegistryActivator() {
        super("in-memory", "meerkat.registry.in-memory", 0);
    }

    @Override
    protected CompletionRegistry createRegistry(BundleContext context) {
        return new InMemoryCompletionRegistry();
    }
}
