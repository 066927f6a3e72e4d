package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.SessionId;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What an {@link ExecutorFactory} is given to create a session's executor.
 *
 * @param sessionId        the session the executor will serve
 * @param kind             the executor kind asked for
 * @param config           the session's executor configuration (string keys and values)
 * @param blockingExecutor where blocking work (I/O, waiting on a process) may run; shared by sessions
 * @param progress         where the executor may report how a run is going
 */
public record ExecutorContext(SessionId sessionId, String kind, Map<String, String> config,
                              Executor blockingExecutor, RunProgressListener progress) {

    public ExecutorContext {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(kind, "kind");
        config = Map.copyOf(config);
        Objects.requireNonNull(blockingExecutor, "blockingExecutor");
        Objects.requireNonNull(progress, "progress");
    }

    /** The configuration read as typed, validated values. */
    public ExecutorConfig typedConfig() {
        return new ExecutorConfig(kind, config);
    }

    /** A context whose progress reports go nowhere (tests, tools). */
    public ExecutorContext(SessionId sessionId, String kind, Map<String, String> config,
                           Executor blockingExecutor) {
        this(sessionId, kind, config, blockingExecutor, RunProgressListener.NONE);
    }
}
