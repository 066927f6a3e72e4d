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
     */
    record StagedInput(RunBoundary boundary, List<ConversationAppend> appends,
                       List<ConversationAppend> contextAppends, List<InputId> contributingInputIds,
                       TurnMetadata turnMetadata) implements RunPrimitive {
        public StagedInput {
            Objects.requireNonNull(boundary, "boundary");
            appends = List.copyOf(appends);
            contextAppends = List.copyOf(contextAppends);
            contributingInputIds = List.copyOf(contributingInputIds);
            Objects.requireNonNull(turnMetadata, "turnMetadata");
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
