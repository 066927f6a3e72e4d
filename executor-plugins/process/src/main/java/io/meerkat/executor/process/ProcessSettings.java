package io.meerkat.executor.process;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.ExecutorConfig;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The process executor's configuration, validated when a session is created.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code command}</td><td>required</td><td>the agent program: a path, or a name looked up on {@code PATH}</td></tr>
 *   <tr><td>{@code args}</td><td>{@code []}</td><td>its arguments, as a JSON array of strings</td></tr>
 *   <tr><td>{@code workingDirectory}</td><td>the runtime's</td><td>an existing directory the program runs in</td></tr>
 *   <tr><td>{@code env.NAME}</td><td></td><td>sets the environment variable {@code NAME}</td></tr>
 *   <tr><td>{@code inheritEnv}</td><td>{@code false}</td><td>{@code true} passes the runtime's whole environment,
 *       secrets such as {@code MEERKAT_TOKEN} and model keys included; {@code false} only its {@code PATH},
 *       {@code HOME}, {@code LANG}, {@code LC_*}, {@code TZ}, {@code TMPDIR}, {@code USER} and {@code LOGNAME}</td></tr>
 *   <tr><td>{@code timeoutMs}</td><td>600000</td><td>how long one run may take, at most 7 days; 0 for no limit</td></tr>
 *   <tr><td>{@code cancelGraceMs}</td><td>5000</td><td>between the graceful signal and the forcible kill, at most 10 minutes</td></tr>
 *   <tr><td>{@code maxLineBytes}</td><td>1048576</td><td>the longest line the program may write to stdout</td></tr>
 * </table>
 *
 * <p>Every key is the operator's ({@link ConfigKey.Owner#OPERATOR}): together they decide what runs on
 * the host, as whom it sees the environment, and its limits. Operators declare agent programs as
 * profiles; a client picks one by name.
 *
 * @param command          the program
 * @param args             its arguments
 * @param workingDirectory where it runs; empty for the runtime's working directory
 * @param environment      variables set on top of the inherited ones
 * @param inheritEnv       whether the runtime's whole environment is inherited, rather than its harmless variables
 * @param timeout          the limit of one run; zero for none
 * @param cancelGrace      how long a program may take to exit after the graceful signal
 * @param maxLineBytes     the stdout line limit
 */
record ProcessSettings(String command, List<String> args, Optional<Path> workingDirectory,
                       Map<String, String> environment, boolean inheritEnv, Duration timeout,
                       Duration cancelGrace, int maxLineBytes) {

    static final String ENV_PREFIX = "env.";
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    static final Duration DEFAULT_CANCEL_GRACE = Duration.ofSeconds(5);
    static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    static final Duration MAX_CANCEL_GRACE = Duration.ofMinutes(10);
    static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

    /** The keys {@link #from} reads. */
    static final List<ConfigKey> KEYS = List.of(
            ConfigKey.operator("command", "the agent program: a path, or a name looked up on PATH"),
            ConfigKey.operator("args", "its arguments, as a JSON array of strings"),
            ConfigKey.operator("workingDirectory", "an existing directory the program runs in"),
            ConfigKey.operator(ENV_PREFIX, "env.NAME sets the environment variable NAME"),
            ConfigKey.operator("inheritEnv", "true passes the runtime's whole environment, secrets included;"
                    + " false (default) only PATH, HOME, LANG, LC_*, TZ, TMPDIR, USER, LOGNAME"),
            ConfigKey.operator("timeoutMs", "how long one run may take, in milliseconds; 0 for no limit"),
            ConfigKey.operator("cancelGraceMs", "between the graceful signal and the forcible kill, in milliseconds"),
            ConfigKey.operator("maxLineBytes", "the longest line the program may write to stdout"));

    /**
     * The runtime's variables a program gets when {@code inheritEnv} is false (the default): what programs
     * need to find programs, files and the locale, never a credential.
     */
    private static final Set<String> HARMLESS = Set.of("PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER", "LOGNAME");

    ProcessSettings {
        args = List.copyOf(args);
        environment = Map.copyOf(environment);
    }

    /** Reads and validates {@code config}; JSON values are read with {@code mapper}. */
    static ProcessSettings from(ExecutorConfig config, JsonMapper mapper) {
        String command = config.required("command");
        List<String> args = args(config, mapper);
        Optional<Path> workingDirectory = config.string("workingDirectory").map(value -> directory(config, value));
        Map<String, String> environment = new LinkedHashMap<>();
        config.values().forEach((key, value) -> {
            if (key.startsWith(ENV_PREFIX)) {
                String name = key.substring(ENV_PREFIX.length());
                if (name.isEmpty() || name.contains("=") || name.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
                    throw invalid(config, key, "must name an environment variable (no '=' or NUL)", value);
                }
                environment.put(name, value);
            }
        });
        boolean inheritEnv = config.bool("inheritEnv", false);
        Duration timeout = config.millis("timeoutMs", DEFAULT_TIMEOUT, MAX_TIMEOUT);
        Duration cancelGrace = config.millis("cancelGraceMs", DEFAULT_CANCEL_GRACE, MAX_CANCEL_GRACE);
        int maxLineBytes = (int) config.longValue("maxLineBytes", DEFAULT_MAX_LINE_BYTES, 256, 64 << 20);
        checkCommand(config, command, workingDirectory);
        return new ProcessSettings(command, args, workingDirectory, environment, inheritEnv, timeout, cancelGrace,
                maxLineBytes);
    }

    /** The command line: the program followed by its arguments. */
    List<String> commandLine() {
        List<String> line = new ArrayList<>(args.size() + 1);
        line.add(command);
        line.addAll(args);
        return line;
    }

    /** Whether the runtime's variable {@code name} reaches the program when {@code inheritEnv} is false. */
    static boolean inheritedByDefault(String name) {
        return HARMLESS.contains(name) || name.startsWith("LC_");
    }

    /** A process builder for one run of the program; stdin, stdout and stderr are pipes. */
    ProcessBuilder processBuilder() {
        ProcessBuilder builder = new ProcessBuilder(commandLine());
        workingDirectory.ifPresent(directory -> builder.directory(directory.toFile()));
        if (!inheritEnv) {
            // The builder starts from the runtime's whole environment, credentials (MEERKAT_TOKEN, model keys) included.
            builder.environment().keySet().removeIf(name -> !inheritedByDefault(name));
        }
        builder.environment().putAll(environment);
        return builder;
    }

    private static List<String> args(ExecutorConfig config, JsonMapper mapper) {
        Optional<String> raw = config.string("args");
        if (raw.isEmpty()) {
            return List.of();
        }
        String expectation = "must be a JSON array of strings, e.g. [\"--verbose\", \"agent.py\"]";
        JsonNode array;
        try {
            array = mapper.readTree(raw.get());
        } catch (JacksonException e) {
            throw invalid(config, "args", expectation, raw.get());
        }
        if (array == null || !array.isArray()) {
            throw invalid(config, "args", expectation, raw.get());
        }
        List<String> args = new ArrayList<>();
        for (JsonNode arg : array) {
            if (!arg.isString() || arg.stringValue().indexOf('\0') >= 0) {
                throw invalid(config, "args", expectation, raw.get());
            }
            args.add(arg.stringValue());
        }
        return args;
    }

    private static Path directory(ExecutorConfig config, String value) {
        try {
            Path directory = Path.of(value).toAbsolutePath();
            if (!Files.isDirectory(directory)) {
                throw invalid(config, "workingDirectory", "must be an existing directory", value);
            }
            return directory;
        } catch (InvalidPathException e) {
            throw invalid(config, "workingDirectory", "must be a path", value);
        }
    }

    /** A command given as a path must name an executable file; a bare name is looked up on PATH when a run starts. */
    private static void checkCommand(ExecutorConfig config, String command, Optional<Path> workingDirectory) {
        if (command.indexOf('/') < 0 && command.indexOf('\\') < 0) {
            return;
        }
        try {
            Path path = Path.of(command);
            Path resolved = path.isAbsolute() ? path
                    : workingDirectory.orElse(Path.of("").toAbsolutePath()).resolve(path);
            if (!Files.isRegularFile(resolved) || !Files.isExecutable(resolved)) {
                throw invalid(config, "command", "must be an executable file", command);
            }
        } catch (InvalidPathException e) {
            throw invalid(config, "command", "must be a path or a program name", command);
        }
    }

    /** The same message shape as {@link ExecutorConfig}'s own errors. */
    private static IllegalArgumentException invalid(ExecutorConfig config, String key, String expectation, String given) {
        return new IllegalArgumentException("executor '" + config.kind() + "': config '" + key + "' " + expectation
                + ", was '" + given + "'");
    }
}
