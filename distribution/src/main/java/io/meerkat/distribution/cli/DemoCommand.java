package io.meerkat.distribution.cli;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.demo.DemoScenario;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code meerkat demo}: starts the launcher without HTTP, runs a scripted session on the echo executor
 * (several inputs, an idempotent resubmit, a cancel, a stop with work queued) and prints its timeline.
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
        try (Launcher launcher = Launcher.start(options.load(Map.of()), false, new ProgressPrinter(err))) {
            new DemoScenario(launcher.runtime(), out, delayMs).run();
        }
        return 0;
    }
}
