package io.meerkat.distribution.cli;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.function.Consumer;

/**
 * Prints the launcher's start-up steps on standard error, each with the time since the JVM started,
 * so an operator sees what a slow start spends its time on: {@code [meerkat +412 ms] loading plugins}.
 */
final class ProgressPrinter implements Consumer<String> {

    private final PrintWriter err;
    private final long jvmStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();

    ProgressPrinter(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void accept(String step) {
        err.println("[meerkat +" + (System.currentTimeMillis() - jvmStartMillis) + " ms] " + step);
        err.flush();
    }
}
