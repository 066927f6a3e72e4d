package io.meerkat.distribution.store;

import io.meerkat.distribution.WireNames;
import io.meerkat.distribution.config.ConfigException;
import io.meerkat.distribution.config.StoreSettings;
import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.distribution.config.StoreServer;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.RuntimeStoreProvider;
import io.meerkat.runtime.api.spi.StoreInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The launcher's runtime stores, by the names operators give ({@code --store}): {@value #SQLITE}, one
 * database file {@value #SQLITE_FILE} in the data folder, sessions survive a restart or a crash;
 * {@value #POSTGRES}, the same in a PostgreSQL database ({@code --store-url}); and {@value #MEMORY}, no
 * store at all (sessions live in the runtime's memory and end with the process).
 * The providers come from the {@code runtime-store} module through {@link ServiceLoader}.
 */
public final class RuntimeStores {

    public static final String SQLITE = "sqlite";
    public static final String MEMORY = "memory";
    public static final String POSTGRES = "postgres";
    /** The database file of the sqlite store, in the data folder. */
    public static final String SQLITE_FILE = "meerkat.db";
    /** The postgres store's setting for the cluster's lease time to live, in milliseconds. */
    static final String LEASE_TTL_SETTING = "leaseTtlMs";
    /** The kinds {@code --store} accepts. */
    public static final List<String> KINDS = List.of(SQLITE, POSTGRES, MEMORY);

    private RuntimeStores() {
    }

    /** Where {@code kind} keeps its data under {@code dataDir}; empty for {@value #MEMORY}. */
    public static Optional<Path> location(String kind, Path dataDir) {
        return kind.equals(SQLITE) ? Optional.of(dataDir.resolve(SQLITE_FILE)) : Optional.empty();
    }

    /** Where the configured store keeps its data, as it may be shown (no password); empty for {@value #MEMORY}. */
    public static Optional<String> where(LauncherConfig config) {
        if (config.store().equals(POSTGRES)) {
            return Optional.of(StoreServer.redact(config.storeServer().url()));
        }
        return location(config.store(), config.dataDir()).map(Path::toString);
    }

    /**
     * Opens the store the launcher runs on: for {@value #SQLITE} creating its file if needed and holding the
     * data folder's lock ({@value DataFolderLock#FILE}) until the store is closed, one launcher per store; for
     * {@value #POSTGRES} the database of {@code --store-url}, its schema created or migrated, with the
     * cluster's lease time to live ({@code --lease-ttl-ms}) when one is configured.
     *
     * @return empty for {@value #MEMORY}: the runtime then keeps its sessions in memory only
     * @throws ConfigException if another launcher runs on this data folder's store
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the database cannot be opened
     */
    public static Optional<RuntimeStore> open(LauncherConfig config) {
        if (config.store().equals(POSTGRES)) {
            Map<String, String> settings = new LinkedHashMap<>(config.storeServer().providerSettings());
            // Only when the operator set it: the store's own default is the documented one.
            if (config.cluster().leaseTtlMs() != null) {
                settings.put(LEASE_TTL_SETTING, Long.toString(config.cluster().leaseTtlMs()));
            }
            return Optional.of(provider(POSTGRES).open(settings));
        }
        return open(config.store(), config.dataDir(), config.storeSettings().sqliteSynchronous());
    }

    private static Optional<RuntimeStore> open(String kind, Path dataDir, String synchronous) {
        return location(kind, dataDir).map(file -> {
            DataFolderLock lock = DataFolderLock.acquire(dataDir);
            try {
                return new LockedStore(openSqlite(file, synchronous), lock);
            } catch (RuntimeException e) {
                lock.close();
                throw e;
            }
        });
    }

    /**
     * Opens the store a launcher left in {@code dataDir}, for reading it ({@code meerkat store info}).
     *
     * @throws ConfigException with one line when there is none
     */
    public static RuntimeStore openExisting(LauncherConfig config) {
        String kind = config.store();
        Path dataDir = config.dataDir();
        if (!KINDS.contains(kind)) {
            throw new ConfigException("--store " + kind + " is not known; the stores are " + KINDS);
        }
        if (kind.equals(POSTGRES)) {
            config.validate();
            return openPostgres(config.storeServer());
        }
        Path file = location(kind, dataDir).orElseThrow(() -> new ConfigException(
                "a " + MEMORY + " store keeps nothing on disk: there is nothing to show; use --store " + SQLITE));
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("no " + kind + " store in " + dataDir + " (no " + SQLITE_FILE + "); "
                    + "`meerkat serve --data " + dataDir + "` creates one");
        }
        return openSqlite(file);
    }

    /** Opens (creating or migrating it) the sqlite database {@code file}, its commits {@code FULL}y synchronous. */
    public static RuntimeStore openSqlite(Path file) {
        return openSqlite(file, StoreSettings.DEFAULT_SQLITE_SYNCHRONOUS);
    }

    /**
     * Opens (creating or migrating it) the sqlite database {@code file}; {@code synchronous} is {@code FULL}
     * (a commit survives a power loss) or {@code NORMAL} (a crash of the process).
     */
    public static RuntimeStore openSqlite(Path file, String synchronous) {
        return provider(SQLITE).open(Map.of("path", file.toAbsolutePath().toString(), "synchronous", synchronous));
    }

    /** Opens (creating or migrating its schema) the PostgreSQL database {@code server} names. */
    public static RuntimeStore openPostgres(StoreServer server) {
        return provider(POSTGRES).open(server.providerSettings());
    }

    private static RuntimeStoreProvider provider(String name) {
        return ServiceLoader.load(RuntimeStoreProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(provider -> provider.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no runtime store provider '" + name
                        + "': the runtime-store module is missing from lib/"));
    }

    /** {@code 5 (consumed 3, queued 2)}: how many inputs a store holds, and by state. */
    public static String inputsByState(StoreInfo info) {
        long inputs = info.inputsByState().values().stream().mapToLong(Long::longValue).sum();
        String byState = info.inputsByState().entrySet().stream()
                .filter(entry -> entry.getValue() > 0)
                .sorted(Map.Entry.comparingByKey())
                .map(entry -> WireNames.state(entry.getKey()) + " " + entry.getValue())
                .collect(Collectors.joining(", "));
        return inputs + (byState.isEmpty() ? "" : " (" + byState + ")");
    }
}
