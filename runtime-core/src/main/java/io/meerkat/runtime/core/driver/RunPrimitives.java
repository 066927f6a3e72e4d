package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.ExecutionKind;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputSource;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.TurnMetadata;
import io.meerkat.runtime.core.ingress.Batch;
import io.meerkat.runtime.core.ingress.InputRecord;
import java.util.ArrayList;
import java.util.Arrays;
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
        int n = records.size();
        // Immutable lists built here are taken as they are by the primitive (List.copyOf of one is itself):
        // nothing is copied twice, and a batch of one input, the usual one of a session that gets little, costs
        // one small list per field.
        ConversationAppend[] transcript = new ConversationAppend[n];
        int inTranscript = 0;
        List<ConversationAppend> contextAppends = List.of();
        InputId[] ids = new InputId[n];
        Integer[] attempts = new Integer[n];
        List<String> correlationIds = List.of();
        boolean allContinuations = true;
        for (int i = 0; i < n; i++) {
            InputRecord record = records.get(i);
            Input input = record.input();
            ConversationAppend append = new ConversationAppend(roleOf(input), input.text());
            if (record.policy().recordTranscript()) {
                transcript[inTranscript++] = append;
            } else {
                contextAppends = added(contextAppends, append);
            }
            ids[i] = record.id();
            // A run a crash cut short is done again with its own attempt (InputRecord.attemptOfRun).
            attempts[i] = record.attemptOfRun();
            if (input.header().correlationId() != null) {
                correlationIds = added(correlationIds, input.header().correlationId());
            }
            allContinuations &= input.kind() == InputKind.CONTINUATION;
        }
        // Scalars: the last input wins.
        Input last = records.get(n - 1).input();
        TurnMetadata metadata = new TurnMetadata(allContinuations ? ExecutionKind.RESUME_PENDING : ExecutionKind.CONTENT_TURN,
                correlationIds, ATTRIBUTES[last.header().source().ordinal()][last.kind().ordinal()]);
        List<ConversationAppend> appends = inTranscript == n ? List.of(transcript)
                : List.of(Arrays.copyOf(transcript, inTranscript));
        return new RunPrimitive.StagedInput(batch.boundary(), appends, contextAppends, List.of(ids), metadata,
                List.of(attempts));
    }

    /** The turn's attributes for each source and kind of its last input: the same few maps for every run. */
    private static final Map<String, String>[][] ATTRIBUTES = attributes();

    @SuppressWarnings("unchecked")
    private static Map<String, String>[][] attributes() {
        Map<String, String>[][] table = new Map[InputSource.values().length][InputKind.values().length];
        for (InputSource source : InputSource.values()) {
            for (InputKind kind : InputKind.values()) {
                table[source.ordinal()][kind.ordinal()] = Map.of("source", source.wireName(), "kind", kind.wireName());
            }
        }
        return table;
    }

    /** {@code list} with {@code element} added: a mutable list made on the first (most batches have none). */
    private static <T> List<T> added(List<T> list, T element) {
        List<T> mutable = list.isEmpty() ? new ArrayList<>() : list;
        mutable.add(element);
        return mutable;
    }

    private static ConversationAppend.Role roleOf(Input input) {
        return input.kind() == InputKind.CONTINUATION ? ConversationAppend.Role.SYSTEM_NOTICE
                : ConversationAppend.Role.USER;
    }
}
