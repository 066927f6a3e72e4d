package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.spi.ExecutorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration keys, their defaults and their error messages. */
class ProcessSettingsTest {

    private static ProcessSettings settings(Map<String, String> values) {
        return ProcessSettings.from(new ExecutorConfig("process", values), new ProtocolCodec().mapper());
    }

    private static String refusal(Map<String, String> values) {
        return assertThrows(IllegalArgumentException.class, () -> settings(values)).getMessage();
    }

    @Test
    void defaults() {
        ProcessSettings settings = settings(Map.of("command", "agent"));
        assertEquals(List.of("agent"), settings.commandLine());
        assertEquals(Optional.empty(), settings.workingDirectory());
        assertEquals(Map.of(), settings.environment());
        assertFalse(settings.inheritEnv());
        assertEquals(Duration.ofMinutes(10), settings.timeout());
        assertEquals(Duration.ofSeconds(5), settings.cancelGrace());
        assertEquals(1 << 20, settings.maxLineBytes());
    }

    @Test
    void everyKey(@TempDir Path directory) {
        ProcessSettings settings = settings(Map.of("command", "agent", "args", "[\"-v\", \"two words\"]",
                "workingDirectory", directory.toString(), "env.A", "1", "env.B", "", "inheritEnv", "false",
                "timeoutMs", "0", "cancelGraceMs", "100", "maxLineBytes", "4096"));
        assertEquals(List.of("agent", "-v", "two words"), settings.commandLine());
        assertEquals(Optional.of(directory.toAbsolutePath()), settings.workingDirectory());
        assertEquals(Map.of("A", "1", "B", ""), settings.environment());
        assertFalse(settings.inheritEnv());
        assertEquals(Duration.ZERO, settings.timeout());
        assertEquals(Duration.ofMillis(100), settings.cancelGrace());
        assertEquals(4096, settings.maxLineBytes());
        Map<String, String> expected = new HashMap<>(Map.of("A", "1", "B", ""));
        System.getenv().forEach((name, value) -> {
            if (ProcessSettings.inheritedByDefault(name)) {
                expected.put(name, value);
            }
        });
        assertEquals(expected, settings.processBuilder().environment());
    }

    @Test
    void onlyHarmlessVariablesOfTheRuntimeAreInheritedByDefault() {
        for (String name : List.of("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR", "USER",
                "LOGNAME")) {
            assertTrue(ProcessSettings.inheritedByDefault(name), name);
        }
        for (String name : List.of("MEERKAT_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "JAVA_HOME", "path",
                "LANGUAGE", "PWD")) {
            assertFalse(ProcessSettings.inheritedByDefault(name), name);
        }
    }

    @Test
    void inheritEnvTrueKeepsTheWholeEnvironmentAndEnvKeysWin() {
        ProcessSettings settings = settings(Map.of("command", "agent", "inheritEnv", "true", "env.HOME", "/agent/home"));
        Map<String, String> expected = new HashMap<>(System.getenv());
        expected.put("HOME", "/agent/home");
        assertEquals(expected, settings.processBuilder().environment());
    }

    @Test
    void clearRefusals() {
        assertEquals("executor 'process': config 'command' is required", refusal(Map.of()));
        assertEquals("executor 'process': config 'args' must be a JSON array of strings, e.g. [\"--verbose\","
                + " \"agent.py\"], was '-v'", refusal(Map.of("command", "a", "args", "-v")));
        assertEquals("executor 'process': config 'args' must be a JSON array of strings, e.g. [\"--verbose\","
                + " \"agent.py\"], was '[1]'", refusal(Map.of("command", "a", "args", "[1]")));
        assertEquals("executor 'process': config 'workingDirectory' must be an existing directory, was '/no/such/dir'",
                refusal(Map.of("command", "a", "workingDirectory", "/no/such/dir")));
        assertEquals("executor 'process': config 'command' must be an executable file, was '/no/such/agent'",
                refusal(Map.of("command", "/no/such/agent")));
        assertEquals("executor 'process': config 'env.' must name an environment variable (no '=' or NUL), was 'x'",
                refusal(Map.of("command", "a", "env.", "x")));
        assertEquals("executor 'process': config 'inheritEnv' must be true or false, was 'yes'",
                refusal(Map.of("command", "a", "inheritEnv", "yes")));
        assertEquals("executor 'process': config 'timeoutMs' must be between 0 and 604800000, was '-1'",
                refusal(Map.of("command", "a", "timeoutMs", "-1")));
        assertEquals("executor 'process': config 'maxLineBytes' must be between 256 and 67108864, was '10'",
                refusal(Map.of("command", "a", "maxLineBytes", "10")));
    }
}
