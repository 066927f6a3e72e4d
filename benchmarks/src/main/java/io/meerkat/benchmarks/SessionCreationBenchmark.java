package io.meerkat.benchmarks;

import io.meerkat.benchmarks.plugin.BenchPlugins;
import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.plugin.host.ExecutorPluginHost;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of creating (and removing) a session whose executor comes from a plugin factory, found
 * through the plugin host's catalog, against the same through a factory handed to the builder
 * ({@link NoOpExecutor#FACTORY}, the baseline). Both executors do nothing, so the difference is the
 * catalog lookup and the plugin's executor creation across its class loader.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SessionCreationBenchmark {

    private Path folder;
    private ExecutorPluginHost host;
    private MeerkatRuntime viaPlugin;
    private MeerkatRuntime direct;
    private SessionSpec pluginSpec;
    private SessionSpec directSpec;

    @Setup
    public void start() throws IOException {
        folder = Files.createTempDirectory("meerkat-bench-plugins");
        BenchPlugins.write(folder, 1);
        host = ExecutorPluginHost.start(folder);
        viaPlugin = MeerkatRuntimeBuilder.newBuilder().executorCatalog(host)
                .completionRegistry(new InMemoryCompletionRegistry()).build();
        direct = MeerkatRuntimeBuilder.newBuilder().executorFactory(NoOpExecutor.FACTORY)
                .completionRegistry(new InMemoryCompletionRegistry()).build();
        pluginSpec = SessionSpec.of("bench-0");
        directSpec = SessionSpec.of(NoOpExecutor.KIND);
    }

    @TearDown
    public void stop() throws IOException {
        viaPlugin.close();
        direct.close();
        host.close();
        TempFolders.delete(folder);
    }

    @Benchmark
    public Object viaPluginFactory() {
        SessionHandle session = viaPlugin.createSession(pluginSpec);
        return viaPlugin.removeSession(session.id());
    }

    @Benchmark
    public Object baselineDirectFactory() {
        SessionHandle session = direct.createSession(directSpec);
        return direct.removeSession(session.id());
    }
}
