package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Configurations running the example agent program {@code examples/echo-agent.sh} with {@code sh}. */
final class EchoAgent {

    static final Path SCRIPT = Path.of("examples", "echo-agent.sh").toAbsolutePath();

    private EchoAgent() {
    }

    /**
     * The tests start POSIX {@code sh} programs and signal process trees: Linux and macOS only. Elsewhere
     * they fail with this reason rather than skip, so a run never passes having proven nothing.
     */
    static void requirePosix() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        assertTrue(os.contains("linux") || os.contains("mac"),
                "the process executor tests need POSIX sh and POSIX signals (Linux or macOS), not " + os);
    }

    /**
     * For the tests of process groups: Linux has {@code setsid} and {@code kill} at their usual paths
     * (util-linux, procps), so there they always run; elsewhere the executor falls back to the scan.
     */
    static void requireProcessGroups() {
        requirePosix();
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        assertTrue(os.contains("linux") || ProcessGroups.detect().available(),
                "process groups need /usr/bin/setsid and /bin/kill, which " + os + " does not have");
    }

    /** The example program in {@code mode} (see the script's header), with extra keys. */
    static Map<String, String> config(String mode, String... extraKeysAndValues) {
        Map<String, String> config = new HashMap<>();
        config.put("command", "sh");
        config.put("args", "[\"" + SCRIPT.toString().replace("\\", "\\\\") + "\"]");
        config.put("env.ECHO_AGENT_MODE", mode);
        for (int i = 0; i < extraKeysAndValues.length; i += 2) {
            config.put(extraKeysAndValues[i], extraKeysAndValues[i + 1]);
        }
        return config;
    }

    /** An inline {@code sh -c} program, with extra keys. */
    static Map<String, String> inline(String script, String... extraKeysAndValues) {
        Map<String, String> config = new HashMap<>();
        config.put("command", "sh");
        config.put("args", new ProtocolCodec().mapper().writeValueAsString(new String[] {"-c", script}));
        for (int i = 0; i < extraKeysAndValues.length; i += 2) {
            config.put(extraKeysAndValues[i], extraKeysAndValues[i + 1]);
        }
        return config;
    }
}
