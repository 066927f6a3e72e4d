package io.meerkat.distribution.cli;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.distribution.store.RuntimeStores;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code meerkat serve}: starts the launcher with the HTTP API and runs until SIGTERM or Ctrl-C, then
 * shuts down in reverse order (every waiter resolved). Prints {@code meerkat ready: <url>} on standard
 * output once the API listens.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the runtime with its HTTP API.")
final class ServeCommand implements Callable<Integer> {

    /** How long a shut-down waits for a start-up in progress. */
    private static final long START_PATIENCE_SECONDS = 60;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    LauncherOptions options = new LauncherOptions();

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: 127.0.0.1). Anything but loopback needs --token.")
    String bind;

    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default: 7878; 0 picks a free one).")
    Integer port;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token every request must carry, at least 16 characters (or set MEERKAT_TOKEN).")
    String token;

    @Option(names = "--node-id", paramLabel = "ID", description = "With --store postgres: this node's name in the "
            + "cluster of launchers sharing the database (default: host name and port, e.g. web-1-7878).")
    String nodeId;

    @Option(names = "--advertise", paramLabel = "URL", description = "With --store postgres: where the other nodes "
            + "reach this one's API, http://HOST:PORT (default: the address bound; needed with a wildcard --bind).")
    String advertise;

    @Option(names = "--lease-ttl-ms", paramLabel = "MS", description = "With --store postgres: how long this node's "
            + "hold on a session lasts unrenewed; the others take over a dead node's sessions after it (default: 5000).")
    Long leaseTtlMs;

    @Option(names = "--check", description = "Start everything, report, then shut down and exit: 0, or 1 when a "
            + "plugin or bundle failed (a smoke test; bin/meerkat warm-up uses it to record the start-up class cache).")
    boolean check;

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(ConfigLoader.BIND, bind);
        overrides.put(ConfigLoader.PORT, port == null ? null : port.toString());
        overrides.put(ConfigLoader.TOKEN, token);
        overrides.put(ConfigLoader.CLUSTER_NODE_ID, nodeId);
        overrides.put(ConfigLoader.CLUSTER_ADVERTISE, advertise);
        overrides.put(ConfigLoader.CLUSTER_LEASE_TTL_MS, leaseTtlMs == null ? null : leaseTtlMs.toString());
        LauncherConfig config = options.load(overrides);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        ProgressPrinter progress = new ProgressPrinter(err);
        if (check) {
            try (Launcher launcher = Launcher.start(config, true, progress)) {
                progress.accept("ready; --check: shutting down");
                out.println("meerkat ready: " + launcher.http().baseUri());
                out.flush();
                return CheckOutcome.report(launcher.plugins().plugins(), launcher.felix().bundles(), err);
            }
        }
        // The hook is in place before anything starts: a SIGTERM during start-up waits for the start to
        // finish (or fail and clean up), then shuts down what started; nothing is left behind.
        CompletableFuture<Launcher> starting = new CompletableFuture<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Launcher launcher = starting.get(START_PATIENCE_SECONDS, TimeUnit.SECONDS);
                int sessions = launcher.runtime().sessions().size();
                progress.accept(launcher.config().store().equals(RuntimeStores.MEMORY)
                        ? "shutting down: stopping " + sessions + " session(s)"
                        : "shutting down: " + sessions + " session(s) stay in the store for the next start");
                launcher.close();
                progress.accept("stopped");
            } catch (ExecutionException startFailed) {
                progress.accept("stopped (start-up had failed)");
            } catch (InterruptedException | TimeoutException e) {
                progress.accept("stopped without waiting for start-up: " + e);
            } finally {
                stopped.countDown();
            }
        }, "meerkat-shutdown"));
        Launcher launcher;
        try {
            launcher = Launcher.start(config, true, progress);
        } catch (RuntimeException | Error e) {
            starting.completeExceptionally(e);
            throw e;
        }
        starting.complete(launcher);
        progress.accept("ready");
        out.println("meerkat ready: " + launcher.http().baseUri());
        out.flush();
        stopped.await();
        return 0;
    }
}
