package io.meerkat.completion.osgi;

import io.meerkat.runtime.api.spi.CompletionRegistry;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/**
 * The activator of a completion-registry bundle: on start it registers one {@link CompletionRegistry}
 * as an OSGi service with a {@code service.ranking}; on stop it withdraws the service <em>before</em>
 * closing the registry.
 *
 * <p>That order is the hand-over guarantee: a consumer tracking the service (the Meerkat launcher) is
 * told of the unregistration synchronously, while the registry is still open, and moves every pending
 * waiter to its next registry; {@link CompletionRegistry#close()} then finds nothing left to terminate.
 *
 * <p>The ranking is read from the framework property {@code <propertyPrefix>.ranking}, so a deployment
 * can reorder the registries without rebuilding them.
 */
public abstract class RegistryBundleActivator implements BundleActivator {

    /** The service property naming the implementation, shown by the launcher's API. */
    public static final String NAME_PROPERTY = "meerkat.registry.name";

    private final String name;
    private final String propertyPrefix;
    private final int defaultRanking;
    private CompletionRegistry registry;
    private ServiceRegistration<CompletionRegistry> registration;

    /**
     * @param name           a short name for the implementation (service property {@value #NAME_PROPERTY})
     * @param propertyPrefix prefix of the framework properties that configure this bundle
     * @param defaultRanking the ranking used when {@code <propertyPrefix>.ranking} is not set
     */
    protected RegistryBundleActivator(String name, String propertyPrefix, int defaultRanking) {
        this.name = name;
        this.propertyPrefix = propertyPrefix;
        this.defaultRanking = defaultRanking;
    }

    /** Creates the registry this bundle offers. */
    protected abstract CompletionRegistry createRegistry(BundleContext context);

    @Override
    public final void start(BundleContext context) {
        registry = createRegistry(context);
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(Constants.SERVICE_RANKING, intProperty(context, "ranking", defaultRanking));
        properties.put(NAME_PROPERTY, name);
        properties.put(Constants.SERVICE_DESCRIPTION, registry.getClass().getName());
        registration = context.registerService(CompletionRegistry.class, registry, properties);
    }

    @Override
    public final void stop(BundleContext context) {
        try {
            // Unregister first: trackers hand the pending waiters over while this registry is still open.
            registration.unregister();
        } finally {
            registry.close();
            registration = null;
            registry = null;
        }
    }

    /**
     * Reads {@code <propertyPrefix>.<key>} as a long.
     *
     * @throws IllegalArgumentException naming the property, if it is set but not a long
     */
    protected final long longProperty(BundleContext context, String key, long defaultValue) {
        String property = propertyPrefix + "." + key;
        String value = context.getProperty(property);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(property + " must be an integer, was '" + value + "'", e);
        }
    }

    /**
     * Reads {@code <propertyPrefix>.<key>} as an int.
     *
     * @throws IllegalArgumentException naming the property, if it is set but not an int
     */
    protected final int intProperty(BundleContext context, String key, int defaultValue) {
        String property = propertyPrefix + "." + key;
        String value = context.getProperty(property);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(property + " must be an integer, was '" + value + "'", e);
        }
    }
}
