package io.meerkat.executor.process;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CoreExecutor;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs each run of one session as a fresh agent program process (see {@link ProcessRun}). A cancel or
 * a stop fails the run in flight at once and ends its process tree; the control stage completes when
 * the tree has exited (at most the grace period plus {@link #KILL_PATIENCE}). After a stop or close,
 * {@code apply} fails at once.
 */
final class ProcessExecutor implements CoreExecutor {

    /** How long a control stage waits, after the grace period, for killed processes to be gone. */
    static final Duration KILL_PATIENCE = Duration.ofSeconds(5);

    private final SessionId sessionId;
    private final ProcessSettings settings;
    private final RunResources resources;
    /** The latest run; written and read by the session's loop only, volatile for the close from elsewhere. */
    private volatile ProcessRun current;
    private volatile String stopReason;
    private volatile boolean closed;

    ProcessExecutor(SessionId sessionId, ProcessSettings settings, RunResources resources) {
        this.sessionId = sessionId;
        this.settings = settings;
        this.resources = resources;
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("process executor is closed"));
        }
        String stopped = stopReason;
        if (stopped != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("process executor is stopped: " + stopped));
        }
        String requestLine;
        try {
            requestLine = resources.codec().encode(ProtocolMessage.Request.of(sessionId, runId, primitive));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        ProcessRun run = new ProcessRun(runId, primitive, requestLine, settings, resources);
        current = run;
        run.start();
        return run.outcome();
    }

    @Override
    public CompletionStage<Void> control(RunControlCommand command) {
        try {
            String reason = command.reason().isBlank() ? "no reason given" : command.reason();
            CancellationException cause;
            if (command instanceof RunControlCommand.StopRuntimeExecutor) {
                stopReason = reason;
                cause = new CancellationException("executor stopped: " + reason);
            } else {
                cause = new CancellationException(reason);
            }
            ProcessRun run = current;
            if (run == null) {
                return CompletableFuture.completedFuture(null);
            }
            return Deadlines.settledWithin(run.stop(cause, false), settings.cancelGrace().plus(KILL_PATIENCE),
                    resources.timer());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        ProcessRun run = current;
        current = null;
        if (run != null) {
            // Does not wait: the tree ends in the background, and the factory's close kills what is left.
            run.stop(new CancellationException("process executor closed"), false);
        }
    }
}
