package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.core.ingress.InputRecord;
import java.util.HashMap;
import java.util.List;

/**
 * The waiters {@link SessionDriver#admit} handed out that are not in the completion registry yet, per
 * input, with the outcome their input was settled with meanwhile (its settler resolved before they were
 * there, so it is kept for them). Has no lock of its own: accessed only while holding the driver lock.
 */
final class WaitersInFlight {

    /** Guarded by the driver lock. */
    private final HashMap<InputId, InFlight> byInput = new HashMap<>();

    private static final class InFlight {
        int count;
        CompletionOutcome settledWith;
    }

    /** A waiter of {@code inputId} leaves the driver for the registry. */
    void handedOut(InputId inputId) {
        byInput.computeIfAbsent(inputId, id -> new InFlight()).count++;
    }

    /**
     * A waiter of {@code inputId} is in the registry now.
     *
     * @param inputFinished whether its input is finished (else the input's next settlement finds the waiter)
     * @return the outcome to resolve the input's waiters with, or {@code null} when there is none to pass on
     */
    CompletionOutcome registered(InputId inputId, boolean inputFinished) {
        InFlight inFlight = byInput.get(inputId);
        if (inFlight == null) {
            return null;
        }
        if (--inFlight.count == 0) {
            byInput.remove(inputId);
        }
        // An input requeued after a failed run is not finished: the failed run does not end its waiter.
        return inputFinished ? inFlight.settledWith : null;
    }

    /** {@code records} were settled with {@code outcome}: waiters still on their way keep it. */
    void settled(List<InputRecord> records, CompletionOutcome outcome) {
        if (byInput.isEmpty()) {
            return;
        }
        for (InputRecord record : records) {
            InFlight inFlight = byInput.get(record.id());
            if (inFlight != null) {
                inFlight.settledWith = outcome;
            }
        }
    }
}
