package io.meerkat.runtime.api;

import java.util.List;
import java.util.Objects;

/**
 * Proof that a run applied a boundary: which inputs contributed and where the conversation stands.
 *
 * @param runId                the run
 * @param boundary             where the appends took effect
 * @param contributingInputIds the inputs applied
 * @param conversationDigest   a digest of the conversation after the boundary; {@code null} if none
 * @param messageCount         messages in the conversation after the boundary
 * @param sequence             monotonic within the run, from 0
 */
public record RunBoundaryReceipt(RunId runId, RunBoundary boundary, List<InputId> contributingInputIds,
                                 String conversationDigest, long messageCount, long sequence) {

    public RunBoundaryReceipt {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(boundary, "boundary");
        contributingInputIds = List.copyOf(contributingInputIds);
    }

    /** The first receipt of a run for the given primitive. */
    public static RunBoundaryReceipt first(RunId runId, RunPrimitive primitive) {
        RunBoundary boundary = primitive instanceof RunPrimitive.StagedInput staged
                ? staged.boundary() : RunBoundary.IMMEDIATE;
        return new RunBoundaryReceipt(runId, boundary, primitive.contributingInputIds(), null,
                primitive.contributingInputIds().size(), 0);
    }
}
