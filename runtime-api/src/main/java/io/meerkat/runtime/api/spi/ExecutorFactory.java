package io.meerkat.runtime.api.spi;

import java.util.List;
import java.util.Optional;
import org.pf4j.ExtensionPoint;

/**
 * Creates executors of one kind. Executor plugins contribute implementations as PF4J
 * {@code @Extension}s; embedders may also hand one to the runtime builder directly.
 *
 * <p>Implementations are thread safe: the runtime may create executors for several sessions at once.
 * A factory that holds resources (a timer thread, an HTTP client) may also implement
 * {@link AutoCloseable}: the plugin host closes it when its plugin stops, after every executor it
 * created has been closed.
 */
public interface ExecutorFactory extends ExtensionPoint {

    /** The kind this factory provides, e.g. {@code "echo"}; unique within a runtime. */
    String kind();

    /**
     * The configuration keys {@link #create} reads, each with its owner ({@link ConfigKey}). The runtime
     * refuses a session whose configuration holds any other key, before {@code create} is called; a
     * launcher lets its clients set only the {@link ConfigKey.Owner#CLIENT} ones. The default declares
     * none: such a factory accepts only an empty configuration.
     */
    default List<ConfigKey> configKeys() {
        return List.of();
    }

    /** The declared key that {@code key} is (or belongs to, for a prefix such as {@code env.}), if any. */
    default Optional<ConfigKey> configKey(String key) {
        return configKeys().stream().filter(declared -> declared.matches(key)).findFirst();
    }

    /**
     * Creates the executor of one session; never {@code null} (the runtime refuses the session with an
     * {@link IllegalStateException} naming this factory).
     *
     * @throws IllegalArgumentException if the configuration is invalid (the session is not created)
     */
    CoreExecutor create(ExecutorContext context);
}
