package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code kill -9} of the packaged launcher while agent programs run (DESIGN §11): an agent that keeps
 * the protocol exits at the end of its stdin at once, and whatever ignores that (the agent itself, or a
 * child it left behind) is ended by the next start of the launcher on the same data folder, which logs
 * one WARN line per agent program. Loopback only; every wait is bounded.
 */
class KilledLauncherAgentsIT {

    private static final long PATIENCE_SECONDS = 20;

    /**
     * Reads its request, starts a child that ignores SIGTERM and stdin, reports both pids in a progress
     * line, then either exits at the end of stdin, leaving the child behind ("polite"), or ignores stdin
     * too and waits for the child ("stubborn").
     */
    private static final String AGENT = """
            #!/bin/sh
            IFS= read -r request
            trap '' TERM
            sleep 600 </dev/null >/dev/null 2>&1 &
            child=$!
            printf '{"type":"progress","message":"started %s %s"}\\n' $$ $child
            if [ "$AGENT_KIND" = polite ]; then
                while IFS= read -r line; do :; done
            else
                wait
            fi
            """;

    @TempDir
    Path work;

    private final PackagedLauncher launcher = new PackagedLauncher();
    private final List<ProcessHandle> agentProcesses = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        launcher.close();
        // Handles carry the process's start time: a pid the system reused meanwhile is not touched.
        agentProcesses.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void agentsOfAKilledLauncherExitAtTheEndOfStdinOrAreKilledAtTheNextStart() throws Exception {
        Path data = work.resolve("data");
        Path config = agentProfiles(Files.writeString(work.resolve("agent.sh"), AGENT));
        Served first = launcher.serve(Map.of(), "--config", config.toString(), "--data", data.toString());
        ApiClient api = new ApiClient(first.uri());
        String polite = createAgentSession(api, "polite");
        String stubborn = createAgentSession(api, "stubborn");
        List<ProcessHandle> politeAgent = startRun(api, polite);
        List<ProcessHandle> stubbornAgent = startRun(api, stubborn);

        first.process().destroyForcibly();   // SIGKILL: bin/meerkat execs java, so this is the JVM
        assertTrue(first.process().waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "the launcher died");

        // The polite agent sees the end of its stdin and exits; the rest ignores the launcher's death.
        awaitExit(politeAgent.get(0), "the polite agent exits at the end of its stdin, before any restart", first);
        List<ProcessHandle> left = List.of(politeAgent.get(1), stubbornAgent.get(0), stubbornAgent.get(1));
        for (ProcessHandle process : left) {
            assertTrue(process.isAlive(), "process " + process.pid() + " outlived the launcher");
        }

        Served second = launcher.serve(Map.of(), "--config", config.toString(), "--data", data.toString());
        for (ProcessHandle process : left) {
            awaitExit(process, "the next start ends process " + process.pid(), second);
        }
        String log = Files.readString(second.stderr());
        List<String> warnings = log.lines().filter(line -> line.contains("WARN")
                && line.contains("left running by the runtime process " + first.process().pid())).toList();
        assertEquals(2, warnings.size(), "one WARN line per agent program: " + log);
        // Each names its program: "killed agent program process PID (started ...", or for the polite one,
        // which has exited, "killed the processes left in the process group of agent program PID (started ...".
        for (ProcessHandle agent : List.of(politeAgent.get(0), stubbornAgent.get(0))) {
            assertTrue(warnings.stream().anyMatch(line -> line.contains(" " + agent.pid() + " (started ")),
                    "a WARN line names agent program " + agent.pid() + ": " + log);
        }
        assertEquals(200, new ApiClient(second.uri()).get("/v1/health").status());
    }

    /** Submits an input and returns the agent program and its child, from the run's progress event. */
    private List<ProcessHandle> startRun(ApiClient api, String session) throws Exception {
        ApiClient.EventLines events = api.events(session);
        try {
            events.awaitSubscribed(PATIENCE_SECONDS);
            assertEquals(202, api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"hi\"}").status());
            JsonNode event = events.nextEvent(PATIENCE_SECONDS);
            while (!event.path("type").asString().equals("run_progress")) {
                assertFalse(event.path("type").asString().equals("run_failed"), event.toString());
                event = events.nextEvent(PATIENCE_SECONDS);
            }
            String message = event.path("message").asString();
            List<ProcessHandle> processes = new ArrayList<>();
            for (String pid : message.substring("started ".length()).split(" ")) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(processes::add);
            }
            agentProcesses.addAll(processes);
            assertEquals(2, processes.size(), "the agent and its child run while the run lasts: " + message);
            return processes;
        } finally {
            events.close();
        }
    }

    private static void awaitExit(ProcessHandle process, String expectation, Served launcher) throws Exception {
        try {
            process.onExit().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(expectation + ": still alive after " + PATIENCE_SECONDS + " s; launcher log: "
                    + Files.readString(launcher.stderr()), e);
        }
    }

    /** The shipped configuration plus the operator's two profiles running the test agent, polite and stubborn. */
    private Path agentProfiles(Path script) throws IOException {
        StringBuilder config = new StringBuilder(Files.readString(PackagedLauncher.DIST.resolve("conf/meerkat.properties")));
        for (String kind : List.of("polite", "stubborn")) {
            String profile = "\nmeerkat.profile.process." + kind + ".";
            config.append(profile).append("command=sh")
                    .append(profile).append("args=[\"").append(script).append("\"]")
                    .append(profile).append("env.AGENT_KIND=").append(kind);
        }
        return Files.writeString(work.resolve("meerkat.properties"), config.append('\n'));
    }

    /** Creates a {@code process} session running the operator's profile {@code kind} of the test agent. */
    private static String createAgentSession(ApiClient api, String kind) {
        Answer created = api.post("/v1/sessions", "{\"executor\":\"process\",\"profile\":\"" + kind + "\"}");
        assertEquals(201, created.status(), created.body());
        return created.text("id");
    }
}
