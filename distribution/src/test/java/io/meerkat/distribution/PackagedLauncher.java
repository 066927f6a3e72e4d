package io.meerkat.distribution;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged distribution's {@code bin/meerkat} ({@code -Dmeerkat.test.distDir}, set by the pom)
 * as a separate process, as a user would, and kills whatever is left at {@link #close()}.
 */
public final class PackagedLauncher implements AutoCloseable {

    /** The laid-out distribution folder. */
    public static final Path DIST = Path.of(System.getProperty("meerkat.test.distDir", "target/missing"));

    /** A running {@code meerkat serve}: its process, its API address and its standard error file. */
    public record Served(Process process, URI uri, Path stderr) {
    }

    /** A finished command. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    private final List<Process> processes = new ArrayList<>();
    private Path dataDir;

    /** This launcher's data folder, a temporary one made at first use. */
    public synchronized Path dataDir() throws IOException {
        if (dataDir == null) {
            dataDir = Files.createTempDirectory("meerkat-data-");
        }
        return dataDir;
    }

    /**
     * Starts {@code meerkat serve --port 0 ARGS} and waits for its {@code meerkat ready:} line. Without
     * {@code --data} in ARGS it runs on this launcher's own data folder ({@link #dataDir()}), the same for
     * every serve of this object (a restart finds what the previous one left), never the distribution's.
     */
    public Served serve(Map<String, String> environment, String... args) throws IOException {
        Path stderr = Files.createTempFile("meerkat-serve", ".err");
        List<String> command = new ArrayList<>(List.of("serve", "--port", "0"));
        if (!List.of(args).contains("--data")) {
            command.addAll(List.of("--data", dataDir().toString()));
        }
        command.addAll(List.of(args));
        ProcessBuilder builder = builder(command.toArray(String[]::new));
        builder.environment().putAll(environment);
        Process process = builder.redirectError(stderr.toFile()).start();
        processes.add(process);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("meerkat ready: ")) {
                        return line.substring("meerkat ready: ".length());
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String uri;
        try {
            uri = ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the launcher did not get ready: " + Files.readString(stderr), e);
        }
        if (uri == null) {
            throw new AssertionError("the launcher exited before it was ready: " + Files.readString(stderr));
        }
        return new Served(process, URI.create(uri), stderr);
    }

    /** Runs {@code meerkat ARGS} to the end. */
    public Result run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    /**
     * Runs {@code meerkat ARGS} to the end with these environment variables added; a {@code serve} without
     * {@code --data} runs on {@link #dataDir()}, as in {@link #serve}.
     */
    public Result run(Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(args));
        if (!command.isEmpty() && command.get(0).equals("serve") && !command.contains("--data")) {
            command.addAll(1, List.of("--data", dataDir().toString()));
        }
        ProcessBuilder builder = builder(command.toArray(String[]::new));
        builder.environment().putAll(environment);
        Process process = builder.start();
        processes.add(process);
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("meerkat " + String.join(" ", args) + " did not finish");
        }
        return new Result(process.exitValue(), stdout.get(10, TimeUnit.SECONDS), stderr.get(10, TimeUnit.SECONDS));
    }

    @Override
    public void close() {
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private static ProcessBuilder builder(String... args) {
        List<String> command = new ArrayList<>();
        command.add(DIST.resolve("bin/meerkat").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("MEERKAT_TOKEN");
        return builder;
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
