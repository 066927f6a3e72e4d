package io.meerkat.runtime.core.testing;

import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Runtimes wired for tests: one executor kind {@code "test"} whose executors the test can reach. */
public final class TestRuntimes {

    public static final String KIND = "test";

    private TestRuntimes() {
    }

    /** A factory that creates executors with {@code supplier} and remembers them by session id. */
    public static final class RecordingFactory implements ExecutorFactory {
        private final Supplier<ScriptedExecutor> supplier;
        private final Map<String, ScriptedExecutor> created = new ConcurrentHashMap<>();

        public RecordingFactory(Supplier<ScriptedExecutor> supplier) {
            this.supplier = supplier;
        }

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            ScriptedExecutor executor = supplier.get();
            created.put(context.sessionId().toString(), executor);
            return executor;
        }

        public ScriptedExecutor executorOf(io.meerkat.runtime.api.SessionId sessionId) {
            return created.get(sessionId.toString());
        }

        public Map<String, ScriptedExecutor> all() {
            return created;
        }
    }

    /** A builder with the given factory and a fresh in-memory registry. */
    /**
     * A runtime builder with the factory and registry, and a retry policy without backoff (failed inputs
     * are retried at once, in the same pass): tests that exercise the backoff set their own policy.
     */
    public static MeerkatRuntimeBuilder builder(RecordingFactory factory, CompletionRegistry registry) {
        return MeerkatRuntimeBuilder.newBuilder().executorFactory(factory).completionRegistry(registry)
                .retryPolicy(NO_BACKOFF);
    }

    /** The default number of attempts, retried without waiting. */
    public static final RetryPolicy NO_BACKOFF = RetryPolicy.defaults().withBackoff(Duration.ZERO, Duration.ZERO);
}
