package io.meerkat.runtime.api;

import java.util.Objects;

/**
 * What an executor returns from a successful {@code apply}.
 *
 * @param receipt         proof of the applied boundary
 * @param sessionSnapshot the executor's serialised session after the run; {@code null} if none
 * @param terminal        how the turn ended; {@code null} for a pure context append
 */
public record CoreApplyOutput(RunBoundaryReceipt receipt, byte[] sessionSnapshot, RunTerminal terminal) {

    public CoreApplyOutput {
        Objects.requireNonNull(receipt, "receipt");
    }

    /** A run that ended its turn with {@code result}. */
    public static CoreApplyOutput completed(RunId runId, RunPrimitive primitive, RunResult result) {
        return new CoreApplyOutput(RunBoundaryReceipt.first(runId, primitive), null,
                new RunTerminal.Result(result));
    }

    /** A run that applied its appends without ending a turn. */
    public static CoreApplyOutput withoutResult(RunId runId, RunPrimitive primitive) {
        return new CoreApplyOutput(RunBoundaryReceipt.first(runId, primitive), null, null);
    }
}
