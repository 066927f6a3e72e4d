package io.meerkat.distribution.osgi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Apache Felix framework embedded in the launcher, with the runtime's API packages exported by the
 * system bundle so that bundles can offer runtime services (the completion registries).
 *
 * <p>A bundle that fails to install or start is logged and reported by {@link #bundles()}; the others
 * and the framework carry on.
 */
public final class EmbeddedFelix implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedFelix.class);

    private final Framework framework;
    private final List<BundleReport> failures = new ArrayList<>();

    private EmbeddedFelix(Framework framework) {
        this.framework = framework;
    }

    /**
     * Starts a framework whose cache lives in {@code storage} (wiped at start) and which passes
     * {@code properties} on to bundles ({@code BundleContext.getProperty}).
     *
     * @param apiVersion the OSGi version under which the runtime's API packages are exported
     */
    public static EmbeddedFelix start(Path storage, String apiVersion, Map<String, String> properties) {
        Map<String, String> config = new HashMap<>(properties);
        config.put(Constants.FRAMEWORK_STORAGE, storage.toAbsolutePath().toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",",
                "io.meerkat.runtime.api;version=\"" + apiVersion + "\"",
                "io.meerkat.runtime.api.spi;version=\"" + apiVersion + "\"",
                // ExecutorFactory extends org.pf4j.ExtensionPoint, so the SPI package "uses" PF4J.
                "org.pf4j;version=\"3.14.1\""));
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the module path (Apache Felix is missing from lib/)"));
        Framework framework = factory.newFramework(config);
        try {
            framework.start();
        } catch (BundleException e) {
            throw new IllegalStateException("the OSGi framework did not start: " + e.getMessage(), e);
        }
        return new EmbeddedFelix(framework);
    }

    /** The system bundle's context, for trackers and tests. */
    public BundleContext context() {
        return framework.getBundleContext();
    }

    /**
     * Installs every {@code *.jar} in {@code folder}, then starts them, in name order.
     *
     * @return every bundle's report
     */
    public List<BundleReport> installAll(Path folder) {
        if (!Files.isDirectory(folder)) {
            LOG.warn("bundles folder {} does not exist; no completion-registry bundle is installed", folder);
            return List.of();
        }
        List<Path> jars;
        try (Stream<Path> files = Files.list(folder)) {
            jars = files.filter(file -> file.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the bundles folder " + folder + ": " + e.getMessage(), e);
        }
        // Install all before starting any: a bundle may import packages of one that sorts after it.
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            Bundle bundle = install(jar);
            if (bundle != null) {
                installed.add(bundle);
            }
        }
        for (Bundle bundle : installed) {
            start(bundle);
        }
        return bundles();
    }

    private Bundle install(Path jar) {
        Objects.requireNonNull(jar, "jar");
        try {
            return context().installBundle(jar.toUri().toString());
        } catch (BundleException | RuntimeException e) {
            LOG.error("bundle {} cannot be installed: {}", jar.getFileName(), e.getMessage(), e);
            recordFailure(new BundleReport(-1, jar.getFileName().toString(), null, "FAILED", e.getMessage()));
            return null;
        }
    }

    private void start(Bundle bundle) {
        try {
            bundle.start();
            LOG.info("bundle {} {} started", bundle.getSymbolicName(), bundle.getVersion());
        } catch (BundleException | RuntimeException e) {
            LOG.error("bundle {} cannot be started: {}", bundle.getSymbolicName(), e.getMessage(), e);
            recordFailure(BundleReport.of(bundle, e.getMessage()));
        }
    }

    private void recordFailure(BundleReport failure) {
        synchronized (failures) {
            failures.removeIf(known -> known.symbolicName().equals(failure.symbolicName()));
            failures.add(failure);
        }
    }

    private BundleReport failureOf(String symbolicName) {
        synchronized (failures) {
            return failures.stream().filter(f -> f.symbolicName().equals(symbolicName)).findFirst().orElse(null);
        }
    }

    /** Every installed bundle (without the system bundle), and the jars that could not be installed. */
    public List<BundleReport> bundles() {
        List<BundleReport> reports = new ArrayList<>();
        for (Bundle bundle : context().getBundles()) {
            if (bundle.getBundleId() != 0) {
                BundleReport failure = failureOf(bundle.getSymbolicName());
                reports.add(BundleReport.of(bundle, failure == null ? null : failure.error()));
            }
        }
        synchronized (failures) {
            for (BundleReport failure : failures) {
                if (failure.id() < 0) {
                    reports.add(failure);
                }
            }
        }
        return reports;
    }

    /** Stops every bundle and the framework, waiting at most {@code timeoutMillis}. */
    @Override
    public void close() {
        close(10_000);
    }

    /** Stops every bundle and the framework, waiting at most {@code timeoutMillis}. */
    public void close(long timeoutMillis) {
        try {
            framework.stop();
            FrameworkEvent event = framework.waitForStop(timeoutMillis);
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                LOG.warn("the OSGi framework did not stop within {} ms", timeoutMillis);
            }
        } catch (BundleException e) {
            LOG.warn("the OSGi framework failed to stop cleanly: {}", e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("interrupted while waiting for the OSGi framework to stop");
        }
    }
}
