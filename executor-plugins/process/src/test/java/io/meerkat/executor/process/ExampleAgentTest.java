package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The example agent program on its own, without the executor: it keeps the protocol's rules. */
class ExampleAgentTest {

    @BeforeAll
    static void posixOnly() {
        EchoAgent.requirePosix();
    }

    @Test
    void itsRunLogLineIsJsonEvenForARequestWithoutRunIdOrAttemptKeys(@TempDir Path directory) throws Exception {
        Path log = directory.resolve("runs.log");
        ProcessBuilder builder = new ProcessBuilder("sh", EchoAgent.SCRIPT.toString());
        builder.environment().put("ECHO_AGENT_RUN_LOG", log.toString());
        Process agent = builder.redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = agent.getOutputStream()) {
            in.write("{\"type\":\"request\",\"protocol\":1,\"text\":\"hi\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(agent.waitFor(20, TimeUnit.SECONDS), "the agent answered and exited");
        assertEquals(0, agent.exitValue());
        JsonNode line = new ProtocolCodec().mapper().readTree(Files.readString(log));
        assertEquals(ProcessHandle.current().pid(), line.get("runtimePid").asLong());
        assertEquals("", line.get("runId").stringValue());
        assertTrue(line.get("attemptKeys").isArray() && line.get("attemptKeys").isEmpty(), line.toString());
        assertEquals("hi", line.get("text").stringValue());
    }

    @Test
    void itExitsWhenItsStdinEndsWhileItWorks() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", EchoAgent.SCRIPT.toString());
        builder.environment().put("ECHO_AGENT_MODE", "sleep");
        Process agent = builder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(agent.getInputStream(),
                StandardCharsets.UTF_8))) {
            OutputStream in = agent.getOutputStream();
            in.write("{\"type\":\"request\",\"protocol\":1,\"text\":\"hi\"}\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertEquals("{\"type\":\"progress\",\"message\":\"echo-agent is sleeping\"}", out.readLine());
            in.close();
            // It sleeps for 600 s unless it notices the end of stdin.
            assertTrue(agent.waitFor(20, TimeUnit.SECONDS), "the agent exited at the end of stdin");
            assertEquals(0, agent.exitValue());
        } finally {
            agent.descendants().forEach(ProcessHandle::destroyForcibly);
            agent.destroyForcibly();
        }
    }
}
