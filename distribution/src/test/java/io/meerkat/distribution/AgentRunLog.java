package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The run log of the shipped example agent ({@code examples/echo-agent.sh} with {@code env.ECHO_AGENT_RUN_LOG}):
 * one JSON line per run, appended as soon as the agent has read its request, naming the runtime process
 * that ran it (the agent's parent: {@code bin/meerkat} execs the JVM) and its inputs' attempt keys. It
 * stands for an effect outside the runtime, and is how the kill, failover, split-brain and drain ITs
 * count the runs of each input. Their inputs' text is their idempotency key ({@link #input}), so that a
 * logged run names the key it ran.
 */
final class AgentRunLog {

    /** The operator profile of the {@code process} executor that runs the agent with this log. */
    static final String PROFILE = "durable";

    /**
     * One logged run: where its line starts in the log, the runtime process that ran it, its run id, and
     * per input its id (from its attempt key) and its text.
     */
    record Run(long offset, long runtimePid, String runId, List<String> inputIds, List<String> texts, String line) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path file;

    AgentRunLog(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** The log's size now; a run whose line starts at or past it was logged later. */
    long size() {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new AssertionError("cannot read the size of the run log " + file, e);
        }
    }

    /**
     * Writes {@code folder/meerkat.properties}: the shipped configuration plus the {@value #PROFILE}
     * profile, whose agent sleeps {@code sleepSeconds} in each run before answering (ending at once when
     * its stdin does) and logs here, then {@code extraProperties} (lines of {@code key=value}).
     */
    Path configuration(Path folder, String sleepSeconds, String... extraProperties) throws IOException {
        String profile = "\nmeerkat.profile.process." + PROFILE + ".";
        StringBuilder config = new StringBuilder(Files.readString(PackagedLauncher.DIST.resolve("conf/meerkat.properties")))
                .append(profile).append("command=sh")
                .append(profile).append("args=[\"")
                .append(PackagedLauncher.DIST.resolve("examples/echo-agent.sh").toAbsolutePath()).append("\"]")
                .append(profile).append("env.ECHO_AGENT_MODE=sleep")
                .append(profile).append("env.ECHO_AGENT_SLEEP=").append(sleepSeconds)
                .append(profile).append("env.ECHO_AGENT_RUN_LOG=").append(file);
        for (String property : extraProperties) {
            config.append('\n').append(property);
        }
        return Files.writeString(folder.resolve("meerkat.properties"), config.append('\n').toString());
    }

    /** The body of {@code POST /v1/sessions}: a {@code process} session of the {@value #PROFILE} profile. */
    static String session() {
        return "{\"executor\":\"process\",\"profile\":\"" + PROFILE + "\"}";
    }

    /** The body of a submit whose text is its idempotency key. */
    static String input(String key) {
        return "{\"kind\":\"prompt\",\"text\":\"" + key + "\",\"idempotencyKey\":\"" + key + "\"}";
    }

    /** Whether a completion's result names the key: a run may apply several inputs, one line of text each. */
    static boolean resultNames(Answer completion, String key) {
        return List.of(completion.json().path("result").path("text").asString().split("\n", -1)).contains(key);
    }

    /**
     * Every run logged so far, checked against the inputs the clients were acknowledged ({@code keyOfInput}:
     * input id → key): each line whole, one attempt key per input, each the first attempt (no run fails,
     * and a run redone after a crash or on another node keeps its attempt key), of an input whose text is
     * the key it was acknowledged for. {@code context} starts each failure's message (the seed).
     */
    List<Run> runs(Map<String, String> keyOfInput, String context) throws IOException {
        byte[] log = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        List<Run> runs = parse(log);
        for (Run run : runs) {
            assertEquals(run.texts().size(), run.inputIds().size(), context + ": one attempt key per input: " + run.line());
            JsonNode keys = JSON.readTree(run.line()).path("attemptKeys");
            for (int i = 0; i < keys.size(); i++) {
                String inputId = run.inputIds().get(i);
                assertEquals(inputId + ":1", keys.get(i).asString(),
                        context + ": no run fails, so every run, redone after a crash or not, is attempt 1: " + run.line());
                assertEquals(run.texts().get(i), keyOfInput.get(inputId),
                        context + ": the run of input " + inputId + " is of the input acknowledged for its key: " + run.line());
            }
        }
        assertTrue(log.length == 0 || log[log.length - 1] == '\n', context + ": the run log ends with a whole line");
        return runs;
    }

    /** The whole lines logged so far, unchecked: for a look while runs go on. */
    List<Run> runs() throws IOException {
        return parse(Files.exists(file) ? Files.readAllBytes(file) : new byte[0]);
    }

    private static List<Run> parse(byte[] log) {
        List<Run> runs = new ArrayList<>();
        int start = 0;
        for (int end = 0; end < log.length; end++) {
            if (log[end] != '\n') {
                continue;
            }
            String line = new String(log, start, end - start, StandardCharsets.UTF_8);
            JsonNode run = JSON.readTree(line);
            List<String> inputIds = new ArrayList<>();
            for (JsonNode attemptKey : run.path("attemptKeys")) {
                inputIds.add(attemptKey.asString().substring(0, attemptKey.asString().lastIndexOf(':')));
            }
            runs.add(new Run(start, run.path("runtimePid").asLong(), run.path("runId").asString(), List.copyOf(inputIds),
                    List.of(run.path("text").asString().split("\n", -1)), line));
            start = end + 1;
        }
        return runs;
    }

    /**
     * Notes when the log grows, polling its size every few milliseconds on a daemon thread until closed:
     * when a line was first seen is when its run started, within that period (the agent logs on reading
     * its request).
     */
    Watch watch() {
        Watch watch = new Watch();
        Thread thread = new Thread(watch, "run-log-watch");
        thread.setDaemon(true);
        thread.start();
        return watch;
    }

    /** The sizes the log had and when ({@link System#nanoTime()}); see {@link #watch()}. */
    final class Watch implements Runnable, AutoCloseable {
        private static final long PERIOD_MILLIS = 5;
        /** Size → when it was first seen. */
        private final ConcurrentSkipListMap<Long, Long> sizes = new ConcurrentSkipListMap<>();
        private volatile boolean closed;

        @Override
        public void run() {
            while (!closed) {
                sizes.putIfAbsent(size(), System.nanoTime());
                try {
                    Thread.sleep(PERIOD_MILLIS);   // a sampling period, not a synchronisation
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** When the line starting at {@code offset} was first seen: the first size past it; empty if not yet. */
        java.util.OptionalLong seenAt(long offset) {
            Map.Entry<Long, Long> after = sizes.higherEntry(offset);
            return after == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(after.getValue());
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
