package io.meerkat.executor.process;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run: one agent program process, from its start to the end of its whole process tree.
 *
 * <p>The program is started, in its own process group where {@link ProcessGroups} can, on a reader
 * thread of the factory's pool, which then writes the request line and reads stdout line by line until a
 * final line (result or error), the end of stdout, or a protocol violation; a second reader thread
 * drains stderr. Stdin stays open until the outcome settles and is closed then: its end tells the
 * program to exit (and, should this JVM die, the operating system closes it the same way). Whatever ends
 * the run, the process tree is then ended too: a program that exits by itself after its final line is
 * given the grace period to do so, anything left is signalled and killed.
 *
 * <p>{@link #outcome()} settles exactly once, by the first of: a final line, a failure, a timeout, a
 * stop. No progress is reported once it has settled. {@link #gone()} completes when the process tree
 * has exited and the program's record ({@link AgentLedger}) is deleted, or when the process never
 * started. Thread safe.
 */
final class ProcessRun {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessRun.class);
    /** How long a failure message waits for the rest of stderr after the program exited. */
    private static final Duration STDERR_PATIENCE = Duration.ofSeconds(1);

    private final RunId runId;
    private final RunPrimitive primitive;
    private final String requestLine;
    private final ProcessSettings settings;
    private final RunResources resources;
    private final String program;
    private final StderrTail stderr;
    private final CompletableFuture<CoreApplyOutput> outcome = new CompletableFuture<>();
    private final CompletableFuture<Void> gone = new CompletableFuture<>();

    private final Object lock = new Object();
    private Process process;        // guarded by lock; null until started
    private boolean grouped;        // guarded by lock; whether process leads its own process group
    private Optional<AgentLedger.Entry> recorded = Optional.empty();  // guarded by lock; set with process
    private boolean stopRequested;  // guarded by lock
    private boolean forcible;       // guarded by lock
    private ProcessTree tree;       // guarded by lock; set once, when the process tree is being ended
    private boolean muted;          // guarded by lock; once set, no progress is reported

    ProcessRun(RunId runId, RunPrimitive primitive, String requestLine, ProcessSettings settings,
               RunResources resources) {
        this.runId = runId;
        this.primitive = primitive;
        this.requestLine = requestLine;
        this.settings = settings;
        this.resources = resources;
        this.program = "agent program '" + settings.command() + "'";
        this.stderr = new StderrTail(program);
        gone.whenComplete((value, error) -> resources.liveRuns().remove(this));
    }

    /** The run's output; completes exceptionally if the run fails, times out or is stopped. */
    CompletableFuture<CoreApplyOutput> outcome() {
        return outcome;
    }

    /** Completes once the run's process tree has exited. */
    CompletableFuture<Void> gone() {
        return gone;
    }

    /** Starts the program on a reader thread; returns at once. */
    void start() {
        if (!resources.liveRuns().add(this)) {
            fail(new IllegalStateException("process executor is closed"));
            gone.complete(null);
            return;
        }
        try {
            resources.blocking().execute(new NamedTask("process-executor run " + runId, this::run));
        } catch (RejectedExecutionException e) {
            fail(new IllegalStateException("process executor is closed: no thread for the run", e));
            gone.complete(null);
        }
    }

    /**
     * Ends the run with {@code cause} unless it has already settled, and ends its process tree:
     * gracefully with the grace period, or at once if {@code force}. Never blocks for long.
     *
     * @return {@link #gone()}
     */
    CompletableFuture<Void> stop(Throwable cause, boolean force) {
        synchronized (lock) {
            stopRequested = true;
            forcible |= force;
        }
        fail(cause);
        endProcessTree(List.of());
        return gone;
    }

    private void run() {
        Process started;
        boolean isolated;
        try {
            ProcessBuilder builder = settings.processBuilder();
            isolated = resources.groups().isolate(builder);
            started = builder.start();
        } catch (IOException | RuntimeException e) {
            fail(new AgentProgramException("could not start " + program + ": " + e.getMessage(), e));
            gone.complete(null);
            return;
        }
        Optional<AgentLedger.Entry> entry = resources.ledger().record(started.toHandle(), isolated);
        boolean stopped;
        synchronized (lock) {
            process = started;
            grouped = isolated;
            recorded = entry;
            stopped = stopRequested;
        }
        // The end of stdin is the protocol's "exit now": sent once the outcome is known, whatever settled it.
        outcome.whenComplete((output, error) -> closeStdin(started));
        LOG.debug("run {}: started {} as process {}{}", runId, program, started.pid(),
                isolated ? " in its own process group" : "");
        if (stopped) {
            // The stop came while the process was starting and found nothing to end: end it now.
            closeQuietly(started.getOutputStream());
            closeQuietly(started.getInputStream());
            closeQuietly(started.getErrorStream());
            endProcessTree(List.of());
            return;
        }
        armTimeout();
        try {
            resources.blocking().execute(new NamedTask("process-executor stderr " + started.pid(),
                    () -> stderr.drain(started.getErrorStream())));
        } catch (RejectedExecutionException e) {
            stop(new IllegalStateException("process executor: no thread to drain the stderr of " + program, e), true);
            return;
        }
        talk(started);
    }

    private void armTimeout() {
        if (settings.timeout().isZero()) {
            return;
        }
        long millis = settings.timeout().toMillis();
        try {
            ScheduledFuture<?> timeout = resources.timer().schedule(
                    () -> stop(new TimeoutException(program + " timed out after " + millis + " ms"), false),
                    settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
            outcome.whenComplete((output, error) -> timeout.cancel(false));
        } catch (RejectedExecutionException e) {
            stop(new IllegalStateException("process executor is closed", e), true);
        }
    }

    /** Sends the request and reads stdout until the run's outcome is known. */
    private void talk(Process started) {
        try (InputStream stdout = started.getInputStream()) {
            send(started);
            LineReader reader = new LineReader(stdout, settings.maxLineBytes());
            while (true) {
                String line = reader.readLine();
                if (line == null) {
                    stdoutEnded(started);
                    return;
                }
                if (line.isBlank()) {
                    continue;
                }
                ProtocolMessage message = resources.codec().decode(line);
                if (message instanceof ProtocolMessage.Progress progress) {
                    report(listener -> listener.onProgress(runId, progress.message()));
                } else if (message instanceof ProtocolMessage.Output output) {
                    report(listener -> listener.onOutputDelta(runId, output.text()));
                } else if (message instanceof ProtocolMessage.Result result) {
                    succeed(result, started.pid());
                    finish(started);
                    return;
                } else if (message instanceof ProtocolMessage.AgentError error) {
                    fail(new AgentProgramException(program + " reported an error: " + error.message()));
                    finish(started);
                    return;
                } else {
                    throw new ProtocolViolation("a line of type request", line);
                }
            }
        } catch (LineReader.LineTooLongException e) {
            brokeProtocol(started, e.getMessage() + ": " + ProtocolViolation.snippet(e.start()));
        } catch (ProtocolViolation e) {
            brokeProtocol(started, e.getMessage());
        } catch (IOException e) {
            // A stop destroys the process under the reader; then the outcome has settled already.
            fail(new AgentProgramException("could not read the stdout of " + program + ": " + e.getMessage(), e));
            endProcessTree(List.of());
        }
    }

    /** Writes the request; stdin stays open (see the class comment). */
    private void send(Process started) {
        try {
            OutputStream stdin = started.getOutputStream();
            stdin.write((requestLine + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            // Not a failure by itself: the program may have exited already; stdout and its exit code tell.
            LOG.debug("run {}: {} did not take its request: {}", runId, program, e.toString());
        }
    }

    private void brokeProtocol(Process started, String violation) {
        fail(new AgentProgramException(program + " broke the protocol with " + violation));
        endProcessTree(started.descendants().toList());
    }

    /** After a final line: the program gets the grace period to exit by itself, then its tree is ended. */
    private void finish(Process started) {
        // Seen while the program lives: once it exits, its children are re-parented out of reach.
        List<ProcessHandle> descendants = started.descendants().toList();
        Deadlines.settledWithin(started.onExit(), settings.cancelGrace(), resources.timer())
                .thenRun(() -> endProcessTree(descendants));
    }

    /** Stdout ended without a final line: the run fails with the exit code and the stderr tail. */
    private void stdoutEnded(Process started) {
        List<ProcessHandle> descendants = started.descendants().toList();
        Deadlines.settledWithin(started.onExit(), settings.cancelGrace(), resources.timer()).thenRun(() -> {
            if (started.isAlive()) {
                fail(new AgentProgramException(program + " closed its stdout without a result and did not exit"
                        + " within " + settings.cancelGrace().toMillis() + " ms" + stderrPart()));
                endProcessTree(descendants);
                return;
            }
            int code = started.exitValue();
            endProcessTree(descendants);
            Deadlines.settledWithin(stderr.drained(), STDERR_PATIENCE, resources.timer()).thenRun(() ->
                    fail(new AgentProgramException(program + " exited with code " + code + describe(code)
                            + " without a result" + stderrPart())));
        });
    }

    private static String describe(int code) {
        return code > 128 && code < 160 ? " (killed by signal " + (code - 128) + ")" : "";
    }

    private String stderrPart() {
        String tail = stderr.tail();
        return tail.isEmpty() ? "; stderr was empty" : "; stderr: " + tail;
    }

    /**
     * Starts ending the process tree, once per run; later calls only escalate a graceful end to a
     * forcible kill. Before the process has started it does nothing: {@link #run()} calls it again then.
     */
    private void endProcessTree(List<ProcessHandle> seenBefore) {
        ProcessTree ending;
        Optional<AgentLedger.Entry> entry;
        boolean created = false;
        synchronized (lock) {
            if (process == null) {
                return;
            }
            // Race: the reader, a stop and the timer may all get here; the lock makes exactly one create the tree.
            if (tree == null) {
                tree = ProcessTree.terminate(process.toHandle(), grouped, resources.groups(), seenBefore,
                        forcible ? Duration.ZERO : settings.cancelGrace(), resources.timer(), resources.blocking());
                created = true;
            } else if (forcible) {
                tree.killNow();
            }
            ending = tree;
            entry = recorded;
        }
        if (created) {
            ending.gone().whenComplete((value, error) -> {
                entry.ifPresent(resources.ledger()::forget);
                gone.complete(null);
            });
        }
    }

    /** Makes a progress or output report, unless the run's outcome is settled. */
    private void report(Consumer<RunProgressListener> report) {
        synchronized (lock) {
            // Under the lock: once muted() has returned, no report is in progress or can start.
            if (!muted) {
                report.accept(resources.progress());
            }
        }
    }

    private void mute() {
        synchronized (lock) {
            muted = true;
        }
    }

    private void succeed(ProtocolMessage.Result result, long pid) {
        Map<String, String> attributes = new LinkedHashMap<>(result.attributes());
        attributes.put("executor", ProcessExecutorFactory.KIND);
        attributes.put("pid", Long.toString(pid));
        mute();
        outcome.complete(CoreApplyOutput.completed(runId, primitive, new RunResult(result.text(), attributes)));
    }

    private void fail(Throwable cause) {
        mute();
        if (outcome.completeExceptionally(cause)) {
            LOG.debug("run {} failed: {}", runId, cause.toString());
        }
    }

    /**
     * Closes stdin on a pool thread: a close waits for a write in progress (the stream's lock), and the
     * request's write blocks while the program does not read; the thread settling the outcome must go on
     * to end the process tree, which is what ends that write.
     */
    private void closeStdin(Process started) {
        Runnable close = () -> closeQuietly(started.getOutputStream());
        try {
            resources.blocking().execute(new NamedTask("process-executor stdin " + started.pid(), close));
        } catch (RejectedExecutionException shutDown) {
            // The factory is closing: it has killed the program, so no write is blocked any more.
            close.run();
        }
    }

    private void closeQuietly(AutoCloseable stream) {
        try {
            stream.close();
        } catch (Exception e) {
            LOG.debug("run {}: closing a stream of {} failed: {}", runId, program, e.toString());
        }
    }
}
