package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import java.util.concurrent.CompletionStage;

/**
 * Runs agent turns for one session: an LLM call, a subprocess, a script. One instance belongs to
 * one session's runtime loop, which is the only caller.
 *
 * <h2>Call order and overlap</h2>
 * <ul>
 *   <li>{@link #apply} calls never overlap: the next one comes only after the stage returned by the
 *       previous one has completed.</li>
 *   <li>{@link #control} may be called while an {@code apply} stage is still pending (that is how a
 *       cancel reaches a run in flight), but never concurrently with another {@code control} call or
 *       with the {@code apply} <em>method call</em> itself: every call comes from the session's loop,
 *       one at a time. The loop does not wait for a {@code control} stage before its next call.</li>
 *   <li>{@link #close} is called exactly once, after the last {@code apply} stage has completed;
 *       no call follows it.</li>
 * </ul>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>No method blocks: long work runs elsewhere (e.g. on {@link ExecutorContext#blockingExecutor()})
 *       and completes the returned stage.</li>
 *   <li>After {@link io.meerkat.runtime.api.RunControlCommand.CancelCurrentRun} or
 *       {@link io.meerkat.runtime.api.RunControlCommand.StopRuntimeExecutor}, a pending
 *       {@code apply} stage completes promptly, normally if the run had already finished, else
 *       exceptionally (any exception). The runtime then abandons the run's inputs. A stop is the last
 *       command an executor receives: nothing follows it but {@link #close}, once the stage has completed.</li>
 *   <li>A {@code control} stage that completes exceptionally is logged; it never stops the runtime.</li>
 * </ul>
 */
public interface CoreExecutor extends AutoCloseable {

    /**
     * Applies one primitive as run {@code runId}.
     *
     * <p><b>Effects are at-least-once.</b> The runtime's state transitions are exactly-once: a run's
     * receipt, its inputs' consumption and its outcome are committed together, and a run whose receipt was
     * committed never runs again. But a run cut short by a crash (the process killed after {@code apply} was
     * called, before the run's end was committed) is applied again once the runtime recovers its inputs from
     * the store, so whatever the executor did outside the runtime (a message sent, a payment, a file written)
     * may happen twice. An executor whose effects must happen once passes the attempt key of each input,
     * {@link RunPrimitive.StagedInput#attemptKey(int)} ({@code "<input id>:<attempt>"}), on as an
     * idempotency key: the same when the runtime redoes an attempt a crash cut short, a new one when it
     * retries an input after a failed run.
     *
     * @return a stage completing with the run's output, or exceptionally if the run failed
     */
    CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive);

    /**
     * Delivers an out-of-band command: cancel the current run, or stop for good.
     *
     * @return a stage completing once the command has been taken into account
     */
    CompletionStage<Void> control(RunControlCommand command);

    /** Releases everything the executor holds. Called once, last; must not throw. */
    @Override
    void close();
}
