package io.meerkat.distribution;

import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.config.LauncherConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A distribution folder laid out in a temp folder from the jars Maven built (their paths come in as
 * system properties, see the pom): {@code plugins/} with the echo plugin, {@code bundles/} with the
 * chosen registry bundles.
 */
public final class TestDistribution {

    public static final String REGISTRY_BUNDLE = "meerkat.test.registryBundle";
    public static final String HISTORY_BUNDLE = "meerkat.test.historyBundle";
    public static final String ECHO_PLUGIN = "meerkat.test.echoPlugin";

    private final Path home;

    private TestDistribution(Path home) {
        this.home = home;
    }

    /** A home under {@code root} with the echo plugin and the given bundles (system property names). */
    public static TestDistribution create(Path root, String... bundles) {
        try {
            Path plugins = Files.createDirectories(root.resolve("plugins"));
            Path bundleDir = Files.createDirectories(root.resolve("bundles"));
            Files.copy(jar(ECHO_PLUGIN), plugins.resolve("echo-executor.jar"));
            for (String bundle : bundles) {
                Path jar = jar(bundle);
                Files.copy(jar, bundleDir.resolve(jar.getFileName()));
            }
            return new TestDistribution(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The jar Maven built for one of the constants above. */
    public static Path jar(String property) {
        String path = System.getProperty(property);
        if (path == null || !path.endsWith(".jar") || !Files.isRegularFile(Path.of(path))) {
            throw new IllegalStateException(property + " must name a built jar (run the tests with `mvn verify`), was " + path);
        }
        return Path.of(path);
    }

    public Path home() {
        return home;
    }

    /**
     * A configuration on 127.0.0.1, a free port, and these overrides. The store is {@code memory} unless an
     * override says otherwise: the in-process tests are about the API, and an fsync per write would only
     * slow them; the durable store is tested by the tests that ask for it and by the packaged launcher's ITs.
     */
    public LauncherConfig config(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>();
        values.put(ConfigLoader.PORT, "0");
        values.put(ConfigLoader.STORE, "memory");
        values.putAll(overrides);
        return ConfigLoader.load(home, null, values, Map.of());
    }

    public LauncherConfig config() {
        return config(Map.of());
    }
}
