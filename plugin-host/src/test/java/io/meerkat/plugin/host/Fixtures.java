package io.meerkat.plugin.host;

/**
 * Sources of fixture plugins. A fixture executor factory serves one kind: its runs reply
 * {@code "<kind>:<text>"} at once, or, with config {@code hold=true}, wait until a control
 * command ends them. Fixture plugins and executors write what they do to the {@link Journal}.
 */
final class Fixtures {

    private Fixtures() {
    }

    /** A plugin with a plugin class and one executor factory serving {@code kind}. */
    static PluginJarBuilder plugin(String pluginId, String kind) {
        String pkg = packageOf(pluginId);
        return PluginJarBuilder.plugin(pluginId)
                .manifest("Plugin-Class", pkg + ".FixturePlugin")
                .source(pkg + ".FixturePlugin", pluginClass(pluginId, ""))
                .source(pkg + ".Factory", factory(pkg, kind))
                .extension(pkg + ".Factory");
    }

    /** Like {@link #plugin} but its {@code start} throws {@code IllegalStateException("boom")}. */
    static PluginJarBuilder failingToStart(String pluginId, String kind) {
        String pkg = packageOf(pluginId);
        return plugin(pluginId, kind)
                .source(pkg + ".FixturePlugin", pluginClass(pluginId, "throw new IllegalStateException(\"boom\");"));
    }

    static String packageOf(String pluginId) {
        return "fixture." + pluginId.replace('-', '_');
    }

    private static String pluginClass(String pluginId, String startBody) {
        return """
                package %s;

                public class FixturePlugin extends org.pf4j.Plugin {
                    @Override
                    public void start() {
                        io.meerkat.plugin.host.Journal.record("start %s on " + Thread.currentThread().getName());
                        %s
                    }

                    @Override
                    public void stop() {
                        io.meerkat.plugin.host.Journal.record("stop %s on " + Thread.currentThread().getName());
                    }
                }
                """.formatted(packageOf(pluginId), pluginId, startBody, pluginId);
    }

    private static String factory(String pkg, String kind) {
        return """
                package %1$s;

                import io.meerkat.runtime.api.*;
                import io.meerkat.runtime.api.spi.*;
                import java.util.concurrent.*;

                public class Factory implements ExecutorFactory, AutoCloseable {
                    @Override
                    public String kind() {
                        return "%2$s";
                    }

                    @Override
                    public java.util.List<ConfigKey> configKeys() {
                        return java.util.List.of(ConfigKey.client("hold", "wait for a control command"),
                                ConfigKey.client("blocking", "complete on the blocking pool"));
                    }

                    @Override
                    public CoreExecutor create(ExecutorContext context) {
                        boolean hold = Boolean.parseBoolean(context.config().getOrDefault("hold", "false"));
                        boolean blocking = Boolean.parseBoolean(context.config().getOrDefault("blocking", "false"));
                        return new CoreExecutor() {
                            private volatile CompletableFuture<CoreApplyOutput> pending;

                            @Override
                            public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
                                if (!hold) {
                                    String text = primitive instanceof RunPrimitive.StagedInput staged
                                            ? staged.appends().get(0).text() : "";
                                    CoreApplyOutput output = CoreApplyOutput.completed(runId, primitive, RunResult.of("%2$s:" + text));
                                    return blocking
                                            ? CompletableFuture.supplyAsync(() -> output, context.blockingExecutor())
                                            : CompletableFuture.completedFuture(output);
                                }
                                pending = new CompletableFuture<>();
                                io.meerkat.plugin.host.Journal.record("apply %2$s");
                                return pending;
                            }

                            @Override
                            public CompletionStage<Void> control(RunControlCommand command) {
                                CompletableFuture<CoreApplyOutput> running = pending;
                                if (running != null) {
                                    running.completeExceptionally(new CancellationException(command.reason()));
                                }
                                return CompletableFuture.completedFuture(null);
                            }

                            @Override
                            public void close() {
                                io.meerkat.plugin.host.Journal.record("close executor %2$s");
                            }
                        };
                    }

                    @Override
                    public void close() {
                        io.meerkat.plugin.host.Journal.record("close factory %2$s");
                    }
                }
                """.formatted(pkg, kind);
    }
}
