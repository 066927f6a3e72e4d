package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.core.ingress.Batch;

/**
 * A run the driver has begun: its id, the staged batch and the primitive for the executor.
 *
 * @param runId     the active run
 * @param batch     the staged inputs
 * @param primitive what the executor applies
 */
public record StagedRun(RunId runId, Batch batch, RunPrimitive primitive) {
}
