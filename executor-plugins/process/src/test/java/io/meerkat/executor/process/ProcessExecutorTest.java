package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.ExecutionKind;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RunTerminal;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.TurnMetadata;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The process executor running real programs: the example agent in its modes, and inline {@code sh -c}
 * scripts. Waits are on futures and process exits, never on sleeps.
 */
class ProcessExecutorTest {

    private static final long PATIENCE_SECONDS = 20;
    /** Starts a sleep whose parent exits at once, and prints its pid: an orphan, no longer a descendant. */
    private static final String ORPHAN = "orphan=$(sh -c 'sleep 600 >/dev/null 2>&1 & echo $!');";

    private final ProcessExecutorFactory factory = new ProcessExecutorFactory();
    private final ExecutorService blocking = Executors.newCachedThreadPool();
    private final BlockingQueue<String> progress = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> deltas = new LinkedBlockingQueue<>();
    private final RunProgressListener listener = new RunProgressListener() {
        @Override
        public void onProgress(RunId runId, String message) {
            progress.add(message);
        }

        @Override
        public void onOutputDelta(RunId runId, String text) {
            deltas.add(text);
        }
    };
    private final List<CoreExecutor> executors = new ArrayList<>();

    @BeforeAll
    static void posixOnly() {
        EchoAgent.requirePosix();
    }

    @AfterEach
    void closeAll() {
        executors.forEach(CoreExecutor::close);
        factory.close();
        blocking.shutdownNow();
    }

    private CoreExecutor executor(Map<String, String> config) {
        CoreExecutor executor = factory.create(new ExecutorContext(SessionId.random(), ProcessExecutorFactory.KIND,
                config, blocking, listener));
        executors.add(executor);
        return executor;
    }

    private static RunPrimitive prompt(String... texts) {
        List<ConversationAppend> appends = new ArrayList<>();
        List<InputId> inputs = new ArrayList<>();
        for (String text : texts) {
            appends.add(new ConversationAppend(ConversationAppend.Role.USER, text));
            inputs.add(InputId.random());
        }
        return new RunPrimitive.StagedInput(RunBoundary.RUN_START, appends, List.of(), inputs,
                new TurnMetadata(ExecutionKind.CONTENT_TURN, List.of(), Map.of()));
    }

    private static RunResult resultOf(CompletableFuture<CoreApplyOutput> run) throws Exception {
        CoreApplyOutput output = run.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        return assertInstanceOf(RunTerminal.Result.class, output.terminal()).result();
    }

    /** What the run failed with (a cancellation included). */
    private static Throwable failureOf(CompletableFuture<CoreApplyOutput> run) throws Exception {
        Throwable failure = run.handle((output, error) -> error).get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertNotNull(failure, "the run fails");
        return failure instanceof CompletionException wrapped ? wrapped.getCause() : failure;
    }

    private static CompletableFuture<CoreApplyOutput> apply(CoreExecutor executor, RunPrimitive primitive) {
        return executor.apply(RunId.random(), primitive).toCompletableFuture();
    }

    /** The next progress message. */
    private String nextProgress() throws InterruptedException {
        String message = progress.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertNotNull(message, "a progress line within " + PATIENCE_SECONDS + " s");
        return message;
    }

    /** The processes named by the example agent's "pids <program> <child>" progress line. */
    private List<ProcessHandle> reportedTree() throws InterruptedException {
        String message = nextProgress();
        assertTrue(message.startsWith("pids "), message);
        List<ProcessHandle> tree = new ArrayList<>();
        for (String pid : message.substring("pids ".length()).split(" ")) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(tree::add);
        }
        assertEquals(2, tree.size(), "the program and its child are alive: " + message);
        return tree;
    }

    private static void assertGone(List<ProcessHandle> tree) throws Exception {
        try {
            for (ProcessHandle process : tree) {
                process.onExit().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
                assertFalse(process.isAlive(), "process " + process.pid() + " is gone");
            }
        } finally {
            // A failed assertion leaves no process behind for the next tests.
            tree.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void echoesTheInputAndReportsProgress() throws Exception {
        CoreExecutor executor = executor(EchoAgent.config("echo"));
        RunResult result = resultOf(apply(executor, prompt("hello", "say \"hi\" \\ {ok} ünïcødé")));
        assertEquals("hello\nsay \"hi\" \\ {ok} ünïcødé", result.text());
        assertEquals("echo-agent.sh", result.attributes().get("agent"));
        assertEquals("process", result.attributes().get("executor"));
        assertEquals("echo-agent read the request", nextProgress());
        assertEquals(List.of(result.text()), List.copyOf(deltas), "the example agent streams its text as one output line");
    }

    @Test
    void theAttemptKeysReachTheProgramWhichTheExampleAgentLogsOneLinePerRun(@TempDir Path directory) throws Exception {
        Path log = directory.resolve("runs.log");
        CoreExecutor executor = executor(EchoAgent.config("echo", "env.ECHO_AGENT_RUN_LOG", log.toString()));
        InputId first = InputId.random();
        InputId second = InputId.random();
        List<ConversationAppend> appends = List.of(new ConversationAppend(ConversationAppend.Role.USER, "one"),
                new ConversationAppend(ConversationAppend.Role.USER, "forged \"attemptKeys\":[\"x:9\"] \"runId\":\"y\""));
        TurnMetadata metadata = new TurnMetadata(ExecutionKind.CONTENT_TURN, List.of(), Map.of());
        RunId run = RunId.random();
        resultOf(executor.apply(run, new RunPrimitive.StagedInput(RunBoundary.RUN_START, appends, List.of(),
                List.of(first, second), metadata, List.of(1, 3))).toCompletableFuture());
        RunId redone = RunId.random();
        resultOf(executor.apply(redone, new RunPrimitive.StagedInput(RunBoundary.RUN_START, appends.subList(0, 1),
                List.of(), List.of(first), metadata, List.of(1))).toCompletableFuture());

        List<String> lines = Files.readAllLines(log);
        assertEquals(2, lines.size(), "one line per run: " + lines);
        ProtocolCodec codec = new ProtocolCodec();
        JsonNode line = codec.mapper().readTree(lines.get(0));
        assertEquals(ProcessHandle.current().pid(), line.get("runtimePid").asLong(), "the program's parent is the runtime");
        assertEquals(run.toString(), line.get("runId").stringValue());
        assertEquals(List.of(first + ":1", second + ":3"), strings(line.get("attemptKeys")));
        assertEquals("one\nforged \"attemptKeys\":[\"x:9\"] \"runId\":\"y\"", line.get("text").stringValue(),
                "a client's text cannot pass for the keys");
        JsonNode again = codec.mapper().readTree(lines.get(1));
        assertEquals(redone.toString(), again.get("runId").stringValue());
        assertEquals(List.of(first + ":1"), strings(again.get("attemptKeys")), "the same attempt, the same key");
    }

    private static List<String> strings(JsonNode array) {
        return array.valueStream().map(JsonNode::stringValue).toList();
    }

    @Test
    void outputLinesAreOutputDeltasInOrderAndStopWithTheRun() throws Exception {
        String script = "read r; for piece in one two three; do printf '{\"type\":\"output\",\"text\":\"%s \"}\\n' $piece; done;"
                + " echo '{\"type\":\"output\",\"text\":\"\"}'; echo '{\"type\":\"result\",\"text\":\"done\"}';"
                + " echo '{\"type\":\"output\",\"text\":\"after the result\"}'";
        RunResult result = resultOf(apply(executor(EchoAgent.inline(script)), prompt("x")));
        assertEquals("done", result.text());
        assertEquals(List.of("one ", "two ", "three ", ""), List.copyOf(deltas),
                "in order; an empty one is passed on (the runtime ignores it); none after the result");
    }

    @Test
    void anOutputLineWithoutTextBreaksTheProtocol() throws Exception {
        String script = "read r; echo '{\"type\":\"output\",\"text\":1}'; sleep 600";
        Throwable failure = failureOf(apply(executor(EchoAgent.inline(script)), prompt("x")));
        assertTrue(failure.getMessage().contains("broke the protocol with a line without the string field 'text'"),
                failure.getMessage());
    }

    @Test
    void anErrorLineFailsTheRunWithItsMessage() throws Exception {
        Throwable failure = failureOf(apply(executor(EchoAgent.config("error")), prompt("x")));
        assertInstanceOf(AgentProgramException.class, failure);
        assertEquals("agent program 'sh' reported an error: echo-agent was asked to fail", failure.getMessage());
    }

    @Test
    void aCrashFailsTheRunWithTheExitCodeAndTheStderrTailAndTheNextRunWorks() throws Exception {
        Throwable failure = failureOf(apply(executor(EchoAgent.config("crash")), prompt("x")));
        assertInstanceOf(AgentProgramException.class, failure);
        assertEquals("agent program 'sh' exited with code 3 without a result; stderr: echo-agent: crashing on purpose",
                failure.getMessage());
        assertEquals("still healthy", resultOf(apply(executor(EchoAgent.config("echo")), prompt("still healthy"))).text());
    }

    @Test
    void garbageFailsTheRunQuotingTheLine() throws Exception {
        Throwable failure = failureOf(apply(executor(EchoAgent.config("garbage")), prompt("x")));
        assertEquals("agent program 'sh' broke the protocol with a line that is not JSON: 'this is not JSON'",
                failure.getMessage());
    }

    @Test
    void anUnknownTypeOrAMissingFieldIsGarbageToo() throws Exception {
        Throwable unknown = failureOf(apply(executor(EchoAgent.inline("read r; echo '{\"type\":\"shrug\"}'")), prompt("x")));
        assertEquals("agent program 'sh' broke the protocol with a line of unknown type 'shrug': '{\"type\":\"shrug\"}'",
                unknown.getMessage());
        Throwable missing = failureOf(apply(executor(EchoAgent.inline("read r; echo '{\"type\":\"result\"}'")), prompt("x")));
        assertEquals("agent program 'sh' broke the protocol with a line without the string field 'text':"
                + " '{\"type\":\"result\"}'", missing.getMessage());
    }

    @Test
    void aLineOverTheLimitFailsTheRun() throws Exception {
        // 300 characters of 'x' on one line, with a limit of 256 bytes.
        String script = "read r; i=0; while [ $i -lt 30 ]; do printf xxxxxxxxxx; i=$((i+1)); done; echo";
        Throwable failure = failureOf(apply(executor(EchoAgent.inline(script, "maxLineBytes", "256")), prompt("x")));
        assertTrue(failure.getMessage().startsWith("agent program 'sh' broke the protocol with a line longer than 256"
                + " bytes: 'xxxx"), failure.getMessage());
    }

    @Test
    void exitingWithoutAResultNamesTheExitCodeAndAnEmptyStderr() throws Exception {
        Throwable failure = failureOf(apply(executor(EchoAgent.inline("read r; exit 0")), prompt("x")));
        assertEquals("agent program 'sh' exited with code 0 without a result; stderr was empty", failure.getMessage());
    }

    @Test
    void aProgramThatCannotStartFailsTheRunWithTheReason() throws Exception {
        Throwable failure = failureOf(apply(executor(Map.of("command", "no-such-agent-program-here")), prompt("x")));
        assertInstanceOf(AgentProgramException.class, failure);
        assertTrue(failure.getMessage().startsWith("could not start agent program 'no-such-agent-program-here': "),
                failure.getMessage());
    }

    @Test
    void argsEnvironmentAndWorkingDirectoryReachTheProgram(@TempDir Path directory) throws Exception {
        String script = "read r; printf '{\"type\":\"result\",\"text\":\"%s %s %s\"}\\n' \"$1\" \"$GREETING\" \"$(pwd)\"";
        Map<String, String> config = Map.of("command", "sh",
                "args", new ProtocolCodec().mapper().writeValueAsString(new String[] {"-c", script, "agent", "first arg"}),
                "env.GREETING", "hello", "workingDirectory", directory.toString());
        RunResult result = resultOf(apply(executor(config), prompt("x")));
        assertEquals("first arg hello " + directory.toRealPath(), result.text());
    }

    /** Runs a program that answers with the names of its environment variables, space separated. */
    private List<String> environmentNames(String... extraKeysAndValues) throws Exception {
        String script = "read r; printf '{\"type\":\"result\",\"text\":\"%s\"}\\n'"
                + " \"$(awk 'BEGIN { for (name in ENVIRON) printf \"%s \", name }')\"";
        RunResult result = resultOf(apply(executor(EchoAgent.inline(script, extraKeysAndValues)), prompt("x")));
        return List.of(result.text().trim().split(" "));
    }

    @Test
    void byDefaultTheProgramGetsOnlyHarmlessVariablesOfTheRuntimeAndItsEnvKeys() throws Exception {
        List<String> names = environmentNames("env.AGENT_SETTING", "on");
        assertTrue(names.contains("AGENT_SETTING"), names.toString());
        if (System.getenv("PATH") != null) {
            assertTrue(names.contains("PATH"), "PATH is passed on: " + names);
        }
        for (String name : names) {
            // PWD: sh sets it itself for the programs it runs.
            assertTrue(ProcessSettings.inheritedByDefault(name) || name.equals("AGENT_SETTING") || name.equals("PWD"),
                    "the runtime's " + name + " reached the program: " + names);
        }
    }

    @Test
    void inheritEnvTruePassesTheRuntimesWholeEnvironment() throws Exception {
        String secretLike = System.getenv().keySet().stream()
                .filter(name -> !ProcessSettings.inheritedByDefault(name) && !name.equals("PWD")
                        && name.matches("[A-Za-z_][A-Za-z0-9_]*"))
                .sorted().findFirst().orElseThrow(() -> new AssertionError("the test JVM's environment has only "
                        + System.getenv().keySet() + "; the test needs a variable outside the default list"));
        assertTrue(environmentNames("inheritEnv", "true").contains(secretLike), secretLike + " is passed on");
        assertFalse(environmentNames().contains(secretLike), secretLike + " is not passed on by default");
    }

    @Test
    void aCancelSignalsTheProgramAndItsChildren() throws Exception {
        CoreExecutor executor = executor(EchoAgent.config("spawn"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        List<ProcessHandle> tree = reportedTree();
        CompletableFuture<Void> cancel = executor.control(new RunControlCommand.CancelCurrentRun("enough"))
                .toCompletableFuture();
        Throwable failure = failureOf(run);
        assertInstanceOf(CancellationException.class, failure);
        assertEquals("enough", failure.getMessage());
        cancel.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertGone(tree);
    }

    @Test
    void aProgramIgnoringTheGracefulSignalIsKilledAfterTheGracePeriod() throws Exception {
        CoreExecutor executor = executor(EchoAgent.config("stubborn", "cancelGraceMs", "300"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        List<ProcessHandle> tree = reportedTree();
        long cancelled = System.nanoTime();
        CompletableFuture<Void> cancel = executor.control(new RunControlCommand.CancelCurrentRun("enough"))
                .toCompletableFuture();
        assertInstanceOf(CancellationException.class, failureOf(run));
        cancel.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertGone(tree);
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cancelled) >= 300,
                "the tree survived the graceful signal until the grace period ended");
    }

    @Test
    void aTimeoutFailsTheRunWithTheLimitAndEndsTheTree() throws Exception {
        CoreExecutor executor = executor(EchoAgent.config("spawn", "timeoutMs", "500", "cancelGraceMs", "200"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        List<ProcessHandle> tree = reportedTree();
        Throwable failure = failureOf(run);
        assertInstanceOf(TimeoutException.class, failure);
        assertEquals("agent program 'sh' timed out after 500 ms", failure.getMessage());
        assertGone(tree);
    }

    @Test
    void aChildLeftBehindAfterTheResultIsEnded() throws Exception {
        String script = "read r; sleep 600 & printf '{\"type\":\"progress\",\"message\":\"pids %s %s\"}\\n' $$ $!;"
                + " echo '{\"type\":\"result\",\"text\":\"done\"}'; exec sleep 600";
        CoreExecutor executor = executor(EchoAgent.inline(script, "cancelGraceMs", "200"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        List<ProcessHandle> tree = reportedTree();
        assertEquals("done", resultOf(run).text());
        assertGone(tree);
    }

    @Test
    void aCancelEndsAProcessTheProgramOrphanedThroughItsProcessGroup() throws Exception {
        EchoAgent.requireProcessGroups();
        String script = "read r; " + ORPHAN
                + " printf '{\"type\":\"progress\",\"message\":\"pids %s %s\"}\\n' $$ $orphan; exec sleep 600";
        CoreExecutor executor = executor(EchoAgent.inline(script, "cancelGraceMs", "200"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        List<ProcessHandle> tree = reportedTree();
        assertTrue(tree.get(0).descendants().noneMatch(tree.get(1)::equals), "the orphan is out of the scan's reach");
        executor.control(new RunControlCommand.CancelCurrentRun("enough")).toCompletableFuture()
                .get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertInstanceOf(CancellationException.class, failureOf(run));
        assertGone(tree);
    }

    @Test
    void aProcessOrphanedBeforeTheResultIsEndedOnceTheProgramExits() throws Exception {
        EchoAgent.requireProcessGroups();
        String script = "read r; " + ORPHAN
                + " printf '{\"type\":\"progress\",\"message\":\"pids %s %s\"}\\n' $$ $orphan;"
                + " echo '{\"type\":\"result\",\"text\":\"done\"}'";
        CoreExecutor executor = executor(EchoAgent.inline(script));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        String pids = nextProgress();
        assertEquals("done", resultOf(run).text());
        ProcessHandle orphan = ProcessHandle.of(Long.parseLong(pids.substring(pids.lastIndexOf(' ') + 1)))
                .orElseThrow(() -> new AssertionError("the orphan was never alive: " + pids));
        assertGone(List.of(orphan));
    }

    @Test
    void stdinStaysOpenDuringTheRunAndItsEndTellsTheProgramToExit() throws Exception {
        // Ignores SIGTERM: within the (long) grace period only the end of stdin makes it exit. Had stdin
        // ended after the request, the run would complete with "stdin ended" instead of timing out.
        String script = "trap '' TERM; read r; echo '{\"type\":\"progress\",\"message\":\"pid '$$'\"}';"
                + " while read -r line; do :; done; echo '{\"type\":\"result\",\"text\":\"stdin ended\"}'";
        CoreExecutor executor = executor(EchoAgent.inline(script, "timeoutMs", "1000", "cancelGraceMs", "600000"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        String pid = nextProgress();
        ProcessHandle program = ProcessHandle.of(Long.parseLong(pid.substring("pid ".length())))
                .orElseThrow(() -> new AssertionError("the program is alive: " + pid));
        assertInstanceOf(TimeoutException.class, failureOf(run), "the program waited for the end of stdin");
        assertGone(List.of(program));
    }

    @Test
    void aCancelIsNotHeldUpByARequestTheProgramDoesNotRead(@TempDir Path directory) throws Exception {
        // The request (256 KiB, more than a pipe buffer) is being written once the program has read a byte
        // of it; then the program stops reading, so the writing thread blocks in the write until it dies.
        Path reading = directory.resolve("reading");
        CoreExecutor executor = executor(EchoAgent.inline("head -c 1 >/dev/null; echo > \"$MARKER\"; exec sleep 600",
                "env.MARKER", reading.toString(), "cancelGraceMs", "200"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x".repeat(256 * 1024)));
        // Another process writes it: polled, within a bound.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (!Files.exists(reading)) {
            assertTrue(System.nanoTime() < deadline, "the program read the start of its request");
            Thread.sleep(10);
        }
        CompletableFuture<Void> cancel = CompletableFuture.supplyAsync(() -> executor.control(
                new RunControlCommand.CancelCurrentRun("enough")).toCompletableFuture()).thenCompose(stage -> stage);
        cancel.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertInstanceOf(CancellationException.class, failureOf(run));
    }

    @Test
    void closingTheFactoryKillsRunningPrograms() throws Exception {
        CoreExecutor executor = executor(EchoAgent.config("stubborn"));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        List<ProcessHandle> tree = reportedTree();
        factory.close();
        assertInstanceOf(CancellationException.class, failureOf(run));
        assertGone(tree);
        Throwable refused = failureOf(apply(executor(EchoAgent.config("echo")), prompt("x")));
        assertEquals("process executor is closed", refused.getMessage());
    }

    @Test
    void noProgressIsReportedOnceTheRunIsCancelled() throws Exception {
        String script = "read r; while :; do echo '{\"type\":\"progress\",\"message\":\"tick\"}'; done";
        CoreExecutor executor = executor(EchoAgent.inline(script));
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("x"));
        assertEquals("tick", nextProgress());
        executor.control(new RunControlCommand.CancelCurrentRun("stop ticking")).toCompletableFuture()
                .get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertTrue(run.isCompletedExceptionally());
        progress.clear();
        executor.close();
        // The reader may still be between lines; the run is muted, so the queue stays empty.
        assertEquals(null, progress.poll(200, TimeUnit.MILLISECONDS));
    }
}
