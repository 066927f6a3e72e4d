package io.meerkat.runtime.api.spi;

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
     * Creates the executor of one session.
     *
     * @throws IllegalArgumentException if the configuration is invalid (the session is not created)
     */
    CoreExecutor create(ExecutorContext context);
}
