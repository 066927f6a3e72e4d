package io.meerkat.distribution.cli;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.demo.DemoScenario;
import io.meerkat.distribution.demo.RestartScenario;
import io.meerkat.distribution.store.RuntimeStores;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code meerkat demo}: starts the launcher without HTTP, runs a scripted session on the echo executor
 * (several inputs, an idempotent resubmit, a cancel, a stop with work queued) and prints its timeline; then
 * shows a restart: a runtime on a sqlite store (in a temporary folder) closed with inputs queued, and a new
 * one on the same store running them. The first part runs on {@code --store memory} unless told otherwise.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a scripted session on the echo executor and print its timeline.")
final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    LauncherOptions options = new LauncherOptions();

    @Option(names = "--delay-ms", paramLabel = "MS", defaultValue = "300", description = "Echo delay per run (default: ${DEFAULT-VALUE}).")
    long delayMs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (options.store == null) {
            // The first part needs no store; the operator's data folder is left alone.
            options.store = RuntimeStores.MEMORY;
        }
        Path restartData = Files.createTempDirectory("meerkat-demo-");
        try (Launcher launcher = Launcher.start(options.load(Map.of()), false, new ProgressPrinter(err))) {
            new DemoScenario(launcher.runtime(), out, delayMs).run();
            new RestartScenario(launcher.plugins(), out, delayMs, restartData).run();
        } finally {
            deleteRecursively(restartData);
        }
        return 0;
    }

    private static void deleteRecursively(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
