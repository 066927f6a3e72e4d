package io.meerkat.distribution.registry;

import io.meerkat.runtime.api.spi.CompletionRegistry;
import java.util.Objects;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link SwappableCompletionRegistry} on the highest-ranked {@link CompletionRegistry} service of
 * an OSGi framework, or on the built-in floor registry when there is none.
 *
 * <p>The framework tells the tracker of an unregistration synchronously, before the bundle's activator
 * closes the registry (see the registry bundles' activator), so the waiters are moved while the old
 * registry is still open.
 */
public final class RegistryServiceTracker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryServiceTracker.class);

    private final SwappableCompletionRegistry front;
    private final CompletionRegistry floor;
    private final ServiceTracker<CompletionRegistry, CompletionRegistry> tracker;
    // A plain map, ordered on demand: a ServiceReference compares by its *current* ranking, which
    // setProperties can change, so a sorted map keyed by references would lose its entries.
    // Guarded by this tracker's monitor. Lock order: this monitor, then the front's write lock (swapTo);
    // the front never calls back here, so the order cannot invert.
    private final Map<ServiceReference<CompletionRegistry>, CompletionRegistry> services = new HashMap<>();

    /** Starts tracking at once; the front is swapped to the best service found. */
    public static RegistryServiceTracker open(BundleContext context, SwappableCompletionRegistry front,
                                              CompletionRegistry floor) {
        RegistryServiceTracker tracker = new RegistryServiceTracker(context, front, floor);
        tracker.tracker.open();
        tracker.reselect();
        return tracker;
    }

    private RegistryServiceTracker(BundleContext context, SwappableCompletionRegistry front, CompletionRegistry floor) {
        this.front = Objects.requireNonNull(front, "front");
        this.floor = Objects.requireNonNull(floor, "floor");
        this.tracker = new ServiceTracker<>(context, CompletionRegistry.class, null) {
            @Override
            public CompletionRegistry addingService(ServiceReference<CompletionRegistry> reference) {
                CompletionRegistry service = super.addingService(reference);
                if (service != null) {
                    LOG.info("completion registry service available: {}", describe(reference, service).label());
                    available(reference, service);
                }
                return service;
            }

            @Override
            public void modifiedService(ServiceReference<CompletionRegistry> reference, CompletionRegistry service) {
                reselect();
            }

            @Override
            public void removedService(ServiceReference<CompletionRegistry> reference, CompletionRegistry service) {
                // Called while the service is still registered and its registry open: moving its waiters
                // now is what keeps them from being terminated by the registry's close().
                gone(reference);
                super.removedService(reference, service);
            }
        };
    }

    private synchronized void available(ServiceReference<CompletionRegistry> reference, CompletionRegistry service) {
        services.put(reference, service);
        reselect();
    }

    private synchronized void gone(ServiceReference<CompletionRegistry> reference) {
        services.remove(reference);
        reselect();
    }

    /**
     * Points the front at the best service known; serialised so two events cannot interleave. A service
     * that fails to take the waiters over is dropped and the next best (at worst the floor) is used.
     */
    private synchronized void reselect() {
        while (true) {
            // ServiceReference order: the greatest has the highest service.ranking, then the lowest service.id.
            ServiceReference<CompletionRegistry> best = services.isEmpty() ? null : Collections.max(services.keySet());
            if (best == null) {
                front.swapTo(floor, ActiveRegistry.builtIn(floor));
                return;
            }
            CompletionRegistry service = services.get(best);
            try {
                // Also for the chosen service itself: its ranking may have changed.
                front.swapTo(service, describe(best, service));
                return;
            } catch (RuntimeException e) {
                LOG.error("completion registry {} failed to take the waiters over; not using it: {}",
                        service.getClass().getName(), e.getMessage(), e);
                services.remove(best);
            }
        }
    }

    /** Stops tracking; the front falls back on the floor registry with every pending waiter. */
    @Override
    public void close() {
        tracker.close();
        synchronized (this) {
            services.clear();
            front.swapTo(floor, ActiveRegistry.builtIn(floor));
        }
    }

    private static ActiveRegistry describe(ServiceReference<CompletionRegistry> reference, CompletionRegistry service) {
        Object name = reference.getProperty("meerkat.registry.name");
        return new ActiveRegistry(name == null ? service.getClass().getSimpleName() : name.toString(),
                service.getClass().getName(), ranking(reference),
                reference.getBundle() == null ? null : reference.getBundle().getSymbolicName(),
                reference.getBundle() == null ? -1 : reference.getBundle().getBundleId());
    }

    private static int ranking(ServiceReference<?> reference) {
        return reference.getProperty(Constants.SERVICE_RANKING) instanceof Integer ranking ? ranking : 0;
    }
}
