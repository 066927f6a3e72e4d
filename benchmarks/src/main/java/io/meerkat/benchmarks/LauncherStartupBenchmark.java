package io.meerkat.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Launcher start-to-ready time: not a JMH benchmark (each sample is a fresh JVM) but a plain
 * {@code main} that runs the packaged distribution's {@code bin/meerkat} as a user would.
 *
 * <p>Per round, in the same run and interleaved so that machine noise hits both alike:
 * <ul>
 *   <li>baseline: {@code bin/meerkat --version}, the same script, JVM, module path and command-line
 *       parsing, doing nothing else, measured until the process exits;</li>
 *   <li>{@code bin/meerkat serve --port 0}, measured from process start until it prints
 *       {@code meerkat ready: ...} (Felix started, both registry bundles active, every plugin in
 *       {@code plugins/} loaded, runtime built, Jetty listening), then stopped with SIGTERM.</li>
 * </ul>
 * It prints the median and min/max of each and the ratio of the medians.
 *
 * <p>Arguments: the distribution folder ({@code distribution/target/meerkat-VERSION}) and an optional
 * round count (default 10).
 */
public final class LauncherStartupBenchmark {

    private LauncherStartupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LauncherStartupBenchmark DISTRIBUTION_DIR [ROUNDS]");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]).resolve("bin/meerkat");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        if (!Files.isExecutable(launcher)) {
            throw new IllegalArgumentException(launcher + " is not an executable launcher");
        }
        // One unmeasured round of each warms the file system cache.
        version(launcher);
        serve(launcher);
        List<Long> baseline = new ArrayList<>();
        List<Long> ready = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            baseline.add(version(launcher));
            ready.add(serve(launcher));
        }
        System.out.printf("JVM %s, %d cpus, %d rounds%n", System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(), rounds);
        print("baseline: meerkat --version", baseline);
        print("meerkat serve: start to ready", ready);
        System.out.printf("ratio of medians: %.2fx%n", (double) median(ready) / median(baseline));
    }

    private static long version(Path launcher) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(launcher.toString(), "--version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("meerkat --version failed");
        }
        return System.nanoTime() - start;
    }

    private static long serve(Path launcher) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process process = new ProcessBuilder(launcher.toString(), "serve", "--port", "0")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("meerkat ready: ")) {
                    long elapsed = System.nanoTime() - start;
                    process.destroy();
                    process.waitFor(60, TimeUnit.SECONDS);
                    return elapsed;
                }
            }
        } finally {
            process.destroyForcibly();
        }
        throw new IllegalStateException("meerkat serve exited before it was ready");
    }

    private static void print(String what, List<Long> samples) {
        System.out.printf("%-32s median %6.0f ms  (min %.0f, max %.0f)%n", what, median(samples) / 1e6,
                Collections.min(samples) / 1e6, Collections.max(samples) / 1e6);
    }

    private static long median(List<Long> samples) {
        List<Long> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
