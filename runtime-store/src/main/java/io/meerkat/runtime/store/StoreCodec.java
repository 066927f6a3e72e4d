package io.meerkat.runtime.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.Lane;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.StoredSession;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/**
 * The JSON text a store keeps for what it does not query: inputs, statuses, outcomes, receipts, sessions.
 * Round trips are exact (a loaded record equals the stored one); ids are written as their UUID text,
 * instants as a number of nanoseconds since the epoch (schema version 2; version 1 wrote ISO-8601 text,
 * which is still read, as is an instant beyond the years 1677–2262 that a {@code long} of nanoseconds cannot
 * hold), the subtypes of {@link Input} and {@link CompletionOutcome} by a
 * {@code type} name that is part of the schema: renaming one needs a migration. Thread safe.
 */
final class StoreCodec {

    private static final EpochNanosOrText INSTANTS = new EpochNanosOrText();

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .addModule(new SimpleModule("meerkat-ids")
                    .addSerializer(SessionId.class, new ToText<>(SessionId.class))
                    .addDeserializer(SessionId.class, new FromText<>(SessionId.class, SessionId::parse))
                    .addSerializer(InputId.class, new ToText<>(InputId.class))
                    .addDeserializer(InputId.class, new FromText<>(InputId.class, InputId::parse))
                    .addSerializer(RunId.class, new ToText<>(RunId.class))
                    .addDeserializer(RunId.class, new FromText<>(RunId.class, RunId::parse))
                    .addSerializer(Instant.class, new EpochNanos())
                    .addDeserializer(Instant.class, INSTANTS)
                    .addDeserializer(InputStatus.class, new StatusReader()))
            .addMixIn(Input.class, InputTypes.class)
            .addMixIn(CompletionOutcome.class, OutcomeTypes.class)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    private StoreCodec() {
    }

    static String write(Object value) {
        return value == null ? null : MAPPER.writeValueAsString(value);
    }

    static Input input(String json) {
        return json == null ? null : read(json, Input.class);
    }

    /** The same from the text's UTF-8 bytes, as {@link SqlDialect#getText} reads them without a String between. */
    static Input input(byte[] json) {
        return json == null ? null : read(json, Input.class);
    }

    static InputStatus status(String json) {
        return read(json, InputStatus.class);
    }

    static InputStatus status(byte[] json) {
        return read(json, InputStatus.class);
    }

    static CompletionOutcome outcome(String json) {
        return read(json, CompletionOutcome.class);
    }

    static RunBoundaryReceipt receipt(String json) {
        return read(json, RunBoundaryReceipt.class);
    }

    static StoredSession session(String json) {
        return read(json, StoredSession.class);
    }

    static StoredSession session(byte[] json) {
        return read(json, StoredSession.class);
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JacksonException e) {
            throw unreadable(type, e);
        }
    }

    private static <T> T read(byte[] json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JacksonException e) {
            throw unreadable(type, e);
        }
    }

    private static IllegalStateException unreadable(Class<?> type, JacksonException e) {
        return new IllegalStateException("stored " + type.getSimpleName() + " cannot be read: " + e.getOriginalMessage(), e);
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Input.Prompt.class, name = "prompt"),
            @JsonSubTypes.Type(value = Input.PeerMessage.class, name = "peer_message"),
            @JsonSubTypes.Type(value = Input.PeerRequest.class, name = "peer_request"),
            @JsonSubTypes.Type(value = Input.PeerResponseProgress.class, name = "peer_response_progress"),
            @JsonSubTypes.Type(value = Input.PeerResponseTerminal.class, name = "peer_response_terminal"),
            @JsonSubTypes.Type(value = Input.FlowStep.class, name = "flow_step"),
            @JsonSubTypes.Type(value = Input.ExternalEvent.class, name = "external_event"),
            @JsonSubTypes.Type(value = Input.Continuation.class, name = "continuation"),
            @JsonSubTypes.Type(value = Input.Operation.class, name = "operation")})
    private interface InputTypes {
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = CompletionOutcome.Completed.class, name = "completed"),
            @JsonSubTypes.Type(value = CompletionOutcome.CompletedWithoutResult.class, name = "completed_without_result"),
            @JsonSubTypes.Type(value = CompletionOutcome.CallbackPending.class, name = "callback_pending"),
            @JsonSubTypes.Type(value = CompletionOutcome.Abandoned.class, name = "abandoned"),
            @JsonSubTypes.Type(value = CompletionOutcome.RuntimeTerminated.class, name = "runtime_terminated")})
    private interface OutcomeTypes {
    }

    private static final class ToText<T> extends ValueSerializer<T> {
        private final Class<T> type;

        ToText(Class<T> type) {
            this.type = type;
        }

        @Override
        public Class<?> handledType() {
            return type;
        }

        @Override
        public void serialize(T value, JsonGenerator generator, SerializationContext context) {
            generator.writeString(value.toString());
        }
    }

    private static final class FromText<T> extends ValueDeserializer<T> {
        private final Class<T> type;
        private final Function<String, T> parse;

        FromText(Class<T> type, Function<String, T> parse) {
            this.type = type;
            this.parse = parse;
        }

        @Override
        public Class<?> handledType() {
            return type;
        }

        @Override
        public T deserialize(JsonParser parser, DeserializationContext context) {
            return parse.apply(parser.getValueAsString());
        }
    }

    /**
     * An instant as one {@code long} of nanoseconds since the epoch: read back without a date parser, which
     * is most of what decoding a stored status costs (its history holds an instant per transition).
     */
    private static final class EpochNanos extends ValueSerializer<Instant> {
        private static final long MIN_SECOND = Long.MIN_VALUE / 1_000_000_000L + 1;
        private static final long MAX_SECOND = Long.MAX_VALUE / 1_000_000_000L - 1;

        @Override
        public Class<?> handledType() {
            return Instant.class;
        }

        @Override
        public void serialize(Instant value, JsonGenerator generator, SerializationContext context) {
            long second = value.getEpochSecond();
            if (second >= MIN_SECOND && second <= MAX_SECOND) {
                generator.writeNumber(second * 1_000_000_000L + value.getNano());
            } else {
                generator.writeString(value.toString());
            }
        }
    }

    /** Reads what {@link EpochNanos} writes, and the ISO-8601 text of schema version 1. */
    private static final class EpochNanosOrText extends ValueDeserializer<Instant> {
        @Override
        public Class<?> handledType() {
            return Instant.class;
        }

        @Override
        public Instant deserialize(JsonParser parser, DeserializationContext context) {
            if (parser.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                long nanos = parser.getLongValue();
                return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
            }
            return Instant.parse(parser.getValueAsString());
        }
    }

    /**
     * Reads an {@link InputStatus} straight off the parser, as the default record reader would (the same
     * names, an unknown one skipped): there is one per stored input, and the reflective constructor call of
     * the default reader cost more than the parsing (measured: RecoveryBenchmark, BENCHMARKS.md issue 12).
     */
    private static final class StatusReader extends ValueDeserializer<InputStatus> {
        @Override
        public Class<?> handledType() {
            return InputStatus.class;
        }

        @Override
        public InputStatus deserialize(JsonParser parser, DeserializationContext context) {
            InputId inputId = null;
            InputKind kind = null;
            InputLifecycleState state = null;
            Lane lane = null;
            int attempts = 0;
            AbandonReason abandonReason = null;
            InputId supersededBy = null;
            List<InputTransitionRecord> history = List.of();
            for (String name = parser.nextName(); name != null; name = parser.nextName()) {
                JsonToken value = parser.nextToken();
                if (value == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (name) {
                    case "inputId" -> inputId = InputId.parse(parser.getString());
                    case "kind" -> kind = InputKind.valueOf(parser.getString());
                    case "state" -> state = InputLifecycleState.valueOf(parser.getString());
                    case "lane" -> lane = Lane.valueOf(parser.getString());
                    case "attempts" -> attempts = parser.getIntValue();
                    case "abandonReason" -> abandonReason = AbandonReason.valueOf(parser.getString());
                    case "supersededBy" -> supersededBy = InputId.parse(parser.getString());
                    case "history" -> history = history(parser, context);
                    default -> parser.skipChildren();
                }
            }
            return new InputStatus(inputId, kind, state, lane, attempts, abandonReason, supersededBy, history);
        }

        private static List<InputTransitionRecord> history(JsonParser parser, DeserializationContext context) {
            List<InputTransitionRecord> history = new ArrayList<>(8);
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                Instant at = null;
                InputLifecycleState from = null;
                InputLifecycleState to = null;
                String reason = null;
                for (String name = parser.nextName(); name != null; name = parser.nextName()) {
                    if (parser.nextToken() == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    switch (name) {
                        case "at" -> at = INSTANTS.deserialize(parser, context);
                        case "from" -> from = InputLifecycleState.valueOf(parser.getString());
                        case "to" -> to = InputLifecycleState.valueOf(parser.getString());
                        case "reason" -> reason = parser.getString();
                        default -> parser.skipChildren();
                    }
                }
                history.add(new InputTransitionRecord(at, from, to, reason));
            }
            return history;
        }
    }
}
