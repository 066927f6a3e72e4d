package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.RunBoundary;
import java.util.List;

/**
 * One unit of ordinary work: consecutive inputs taken off one lane, run together.
 *
 * @param records  the inputs, in lane order
 * @param boundary where their appends take effect
 */
public record Batch(List<InputRecord> records, RunBoundary boundary) {
}
