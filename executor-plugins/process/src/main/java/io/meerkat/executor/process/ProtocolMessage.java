package io.meerkat.executor.process;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.TurnMetadata;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One line of the JSON-lines protocol between the executor and an agent program (see
 * {@code PROTOCOL.md}). Each message is one JSON object on one line whose {@code "type"} names the
 * record: a {@link Request} goes to the program; {@link Progress}, {@link Output}, {@link Result} and
 * {@link AgentError} come back. Instances are always complete: every required field is non-null.
 */
sealed interface ProtocolMessage {

    /** The protocol version this executor speaks; sent in every request as {@code "protocol"}. */
    int VERSION = 1;

    /**
     * The one request of a run, written to the program's stdin as its only line.
     *
     * @param runId          the run
     * @param sessionId      the session the run belongs to
     * @param primitive      {@code staged_input}, {@code immediate_append} or {@code immediate_context_append}
     * @param executionKind  {@code content_turn} or {@code resume_pending}; {@code null} unless staged
     * @param appends        messages for the conversation, in order
     * @param contextAppends messages for the context only
     * @param inputIds       the inputs the run applies
     * @param attemptKeys    one per input, in the same order: {@code "<input id>:<attempt>"}, the same again when
     *                       the runtime redoes an attempt a crash cut short (see
     *                       {@link RunPrimitive.StagedInput#attemptKey(int)}); empty when the primitive carries none
     * @param correlationIds the inputs' correlation ids
     * @param attributes     the turn's merged attributes
     * @param text           the appends' texts joined by newlines; always written last on the line
     */
    record Request(String runId, String sessionId, String primitive, String executionKind,
                   List<Append> appends, List<Append> contextAppends, List<String> inputIds,
                   List<String> attemptKeys, List<String> correlationIds, Map<String, String> attributes, String text)
            implements ProtocolMessage {

        public Request {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(primitive, "primitive");
            appends = List.copyOf(appends);
            contextAppends = List.copyOf(contextAppends);
            inputIds = List.copyOf(inputIds);
            attemptKeys = List.copyOf(attemptKeys);
            if (!attemptKeys.isEmpty() && attemptKeys.size() != inputIds.size()) {
                throw new IllegalArgumentException(attemptKeys.size() + " attempt keys for " + inputIds.size() + " inputs");
            }
            correlationIds = List.copyOf(correlationIds);
            attributes = Map.copyOf(attributes);
            Objects.requireNonNull(text, "text");
        }

        /** The request for run {@code runId} of session {@code sessionId} applying {@code primitive}. */
        static Request of(SessionId sessionId, RunId runId, RunPrimitive primitive) {
            List<String> inputIds = primitive.contributingInputIds().stream().map(Object::toString).toList();
            if (primitive instanceof RunPrimitive.StagedInput staged) {
                TurnMetadata metadata = staged.turnMetadata();
                List<Append> appends = Append.all(staged.appends());
                return new Request(runId.toString(), sessionId.toString(), "staged_input",
                        lower(metadata.executionKind().name()), appends, Append.all(staged.contextAppends()),
                        inputIds, attemptKeys(staged), metadata.correlationIds(), metadata.attributes(), joined(appends));
            }
            if (primitive instanceof RunPrimitive.ImmediateAppend immediate) {
                List<Append> appends = List.of(Append.of(immediate.append()));
                return new Request(runId.toString(), sessionId.toString(), "immediate_append", null,
                        appends, List.of(), inputIds, List.of(), List.of(), Map.of(), joined(appends));
            }
            if (primitive instanceof RunPrimitive.ImmediateContextAppend context) {
                List<Append> contextAppends = List.of(Append.of(context.append()));
                return new Request(runId.toString(), sessionId.toString(), "immediate_context_append", null,
                        List.of(), contextAppends, inputIds, List.of(), List.of(), Map.of(), joined(contextAppends));
            }
            throw new IllegalArgumentException("unknown primitive " + primitive);
        }

        private static List<String> attemptKeys(RunPrimitive.StagedInput staged) {
            if (staged.attempts().isEmpty()) {
                return List.of();
            }
            return IntStream.range(0, staged.contributingInputIds().size()).mapToObj(staged::attemptKey).toList();
        }

        private static String joined(List<Append> appends) {
            return appends.stream().map(Append::text).collect(Collectors.joining("\n"));
        }
    }

    /**
     * One message of a request.
     *
     * @param role {@code user}, {@code assistant}, {@code system_notice} or {@code tool}
     * @param text what is said
     */
    record Append(String role, String text) {

        public Append {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(text, "text");
        }

        static Append of(ConversationAppend append) {
            return new Append(lower(append.role().name()), append.text());
        }

        static List<Append> all(List<ConversationAppend> appends) {
            return appends.stream().map(Append::of).toList();
        }
    }

    /**
     * How the run is going; published as a run progress event. Any number, before the final line.
     *
     * @param message what the program reports
     */
    record Progress(String message) implements ProtocolMessage {
        public Progress {
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * The next piece of the run's output, streamed to the session as an output delta. Any number, before
     * the final line; the pieces follow one another in the order written.
     *
     * @param text the piece
     */
    record Output(String text) implements ProtocolMessage {
        public Output {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * The run's result; a final line.
     *
     * @param text       the reply
     * @param attributes extra facts about the run; JSON values that are not strings are kept as JSON text
     */
    record Result(String text, Map<String, String> attributes) implements ProtocolMessage {
        public Result {
            Objects.requireNonNull(text, "text");
            attributes = Map.copyOf(attributes);
        }
    }

    /**
     * The program could not do the run; a final line. The run fails with the message.
     *
     * @param message why the run failed
     */
    record AgentError(String message) implements ProtocolMessage {
        public AgentError {
            Objects.requireNonNull(message, "message");
        }
    }

    private static String lower(String enumName) {
        return enumName.toLowerCase(Locale.ROOT);
    }
}
