package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.ExecutionKind;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.TurnMetadata;
import io.meerkat.runtime.core.ingress.Batch;
import io.meerkat.runtime.core.ingress.InputRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What an executor is handed for a batch: its inputs as conversation appends (transcript or context,
 * as each input's policy says), their ids and correlation ids, and the turn's metadata. Pure; the driver
 * calls it under its lock, while the batch's records still hold their content.
 */
final class RunPrimitives {

    private RunPrimitives() {
    }

    /** The primitive of a staged batch. */
    static RunPrimitive of(Batch batch) {
        List<InputRecord> records = batch.records();
        List<ConversationAppend> appends = new ArrayList<>(records.size());
        List<ConversationAppend> contextAppends = new ArrayList<>(0);
        List<InputId> ids = new ArrayList<>(records.size());
        List<Integer> attempts = new ArrayList<>(records.size());
        List<String> correlationIds = new ArrayList<>(0);
        boolean allContinuations = true;
        for (InputRecord record : records) {
            Input input = record.input();
            ConversationAppend append = new ConversationAppend(roleOf(input), input.text());
            (record.policy().recordTranscript() ? appends : contextAppends).add(append);
            ids.add(record.id());
            // A run a crash cut short is done again with its own attempt (InputRecord.attemptOfRun).
            attempts.add(record.attemptOfRun());
            if (input.header().correlationId() != null) {
                correlationIds.add(input.header().correlationId());
            }
            allContinuations &= input.kind() == InputKind.CONTINUATION;
        }
        // Scalars: the last input wins.
        Input last = records.get(records.size() - 1).input();
        Map<String, String> attributes = Map.of("source", last.header().source().wireName(), "kind", last.kind().wireName());
        TurnMetadata metadata = new TurnMetadata(
                allContinuations ? ExecutionKind.RESUME_PENDING : ExecutionKind.CONTENT_TURN, correlationIds, attributes);
        return new RunPrimitive.StagedInput(batch.boundary(), appends, contextAppends, ids, metadata, attempts);
    }

    private static ConversationAppend.Role roleOf(Input input) {
        return input.kind() == InputKind.CONTINUATION ? ConversationAppend.Role.SYSTEM_NOTICE
                : ConversationAppend.Role.USER;
    }
}
