package io.meerkat.runtime.api;

import java.util.List;
import java.util.Objects;

/** The only thing an executor is asked to apply. */
public sealed interface RunPrimitive {

    /** The inputs whose completion depends on this primitive, in order. */
    List<InputId> contributingInputIds();

    /**
     * A batch of staged inputs, turned into conversation appends.
     *
     * @param boundary             where the appends take effect
     * @param appends              messages for the conversation, one per contributing input
     * @param contextAppends       messages for the context only (not the transcript)
     * @param contributingInputIds the staged inputs, in order
     * @param turnMetadata         merged facts about the turn
     * @param attempts             the attempt of this run at each contributing input, in the same order: 1
     *                             the first time it runs, one more after each failed run of it. A run done
     *                             again because the runtime crashed during it (its inputs recovered from a
     *                             store) has the attempts of the run it repeats (though it counts toward
     *                             the input's {@link InputStatus#attempts()} and retry limit, so an input
     *                             whose run kills the process is not run forever). Empty when the primitive was
     *                             not built by the runtime. See {@link #attemptKey(int)}.
     */
    record StagedInput(RunBoundary boundary, List<ConversationAppend> appends,
                       List<ConversationAppend> contextAppends, List<InputId> contributingInputIds,
                       TurnMetadata turnMetadata, List<Integer> attempts) implements RunPrimitive {
        public StagedInput {
            Objects.requireNonNull(boundary, "boundary");
            appends = List.copyOf(appends);
            contextAppends = List.copyOf(contextAppends);
            contributingInputIds = List.copyOf(contributingInputIds);
            Objects.requireNonNull(turnMetadata, "turnMetadata");
            attempts = List.copyOf(attempts);
            if (!attempts.isEmpty() && attempts.size() != contributingInputIds.size()) {
                throw new IllegalArgumentException(attempts.size() + " attempts for "
                        + contributingInputIds.size() + " inputs");
            }
        }

        /**
         * A key naming this attempt at the {@code index}-th contributing input, {@code "<input id>:<attempt>"}:
         * the same when a crash makes the runtime do the attempt again, a new one for a retry after a failure.
         * An executor whose effects must not happen twice (a payment, a message sent) passes it on as an
         * idempotency key: the runtime's own state changes are exactly-once, an executor's effects
         * at-least-once.
         *
         * @throws IllegalStateException if the primitive carries no attempts (it was not built by the runtime)
         */
        public String attemptKey(int index) {
            if (attempts.isEmpty()) {
                throw new IllegalStateException("this primitive carries no attempts");
            }
            return contributingInputIds.get(index) + ":" + attempts.get(index);
        }

        /** A primitive without attempts (built outside the runtime: tests, tools). */
        public StagedInput(RunBoundary boundary, List<ConversationAppend> appends,
                           List<ConversationAppend> contextAppends, List<InputId> contributingInputIds,
                           TurnMetadata turnMetadata) {
            this(boundary, appends, contextAppends, contributingInputIds, turnMetadata, List.of());
        }
    }

    /** One message appended to the conversation at once, outside any input. */
    record ImmediateAppend(ConversationAppend append) implements RunPrimitive {
        public ImmediateAppend {
            Objects.requireNonNull(append, "append");
        }

        @Override
        public List<InputId> contributingInputIds() {
            return List.of();
        }
    }

    /** One message added to the context at once, outside any input. */
    record ImmediateContextAppend(ConversationAppend append) implements RunPrimitive {
        public ImmediateContextAppend {
            Objects.requireNonNull(append, "append");
        }

        @Override
        public List<InputId> contributingInputIds() {
            return List.of();
        }
    }
}
