package io.meerkat.distribution.cli;

import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.config.LauncherConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The flags every command that starts the launcher shares; each overrides {@code conf/meerkat.properties}. */
final class LauncherOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (default: conf/meerkat.properties).")
    Path config;

    @Option(names = "--plugins", paramLabel = "DIR", description = "Executor plugins folder (default: plugins).")
    String plugins;

    @Option(names = "--bundles", paramLabel = "DIR", description = "Completion-registry bundles folder (default: bundles).")
    String bundles;

    @Option(names = "--data", paramLabel = "DIR", description = "Data folder; the sqlite store is DIR/meerkat.db (default: data).")
    String data;

    @Option(names = "--store", paramLabel = "KIND", description = "Runtime store: sqlite (default: sessions survive a "
            + "restart), postgres (sessions kept in the database of --store-url) or memory (they end with the process).")
    String store;

    @Option(names = "--store-url", paramLabel = "URL", description = "The database of --store postgres: "
            + "jdbc:postgresql://HOST:PORT/DATABASE. Give the password in meerkat.store.password or "
            + "MEERKAT_STORE_PASSWORD, not here: a flag shows in the process list.")
    String storeUrl;

    LauncherConfig load(Map<String, String> more) {
        Map<String, String> overrides = new HashMap<>(more);
        overrides.put(ConfigLoader.PLUGINS, plugins);
        overrides.put(ConfigLoader.BUNDLES, bundles);
        overrides.put(ConfigLoader.DATA, data);
        overrides.put(ConfigLoader.STORE, store);
        overrides.put(ConfigLoader.STORE_URL, storeUrl);
        return ConfigLoader.load(MeerkatCommand.home(), config, overrides, System.getenv());
    }
}
