package io.meerkat.runtime.core.ingress;

import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.RunBoundary;

/**
 * How admission treats one input, decided once by the {@link DefaultPolicyTable} and kept with the
 * input for its whole life.
 *
 * @param applyMode        whether the input starts a run, joins one at a boundary, or runs nothing
 * @param wakeMode         whether accepting it wakes an idle loop
 * @param queueMode        how it is placed on its lane
 * @param consumePoint     when it becomes CONSUMED
 * @param lane             which lane it joins
 * @param recordTranscript whether its content belongs in the transcript (else context only)
 */
public record PolicyDecision(ApplyMode applyMode, WakeMode wakeMode, QueueMode queueMode,
                             ConsumePoint consumePoint, Lane lane, boolean recordTranscript) {

    /** Where an input takes effect. */
    public enum ApplyMode {
        STAGE_RUN_START,
        STAGE_RUN_BOUNDARY,
        IGNORE;

        /** The boundary a batch of such inputs is applied at. */
        public RunBoundary boundary() {
            return this == STAGE_RUN_BOUNDARY ? RunBoundary.RUN_CHECKPOINT : RunBoundary.RUN_START;
        }
    }

    /** Whether acceptance wakes the loop. */
    public enum WakeMode {
        WAKE_IF_IDLE,
        NONE
    }

    /** How an input is placed on its lane. */
    public enum QueueMode {
        /** At the back. */
        FIFO,
        /**
         * At the back, replacing (COALESCED) every queued input of its scope: the same kind and
         * supersession key, or without a key (peer response progress) the same peer and request.
         */
        COALESCE,
        /** At the front. */
        PRIORITY
    }

    /** When an input becomes CONSUMED. */
    public enum ConsumePoint {
        ON_ACCEPT,
        ON_RUN_COMPLETE
    }
}
