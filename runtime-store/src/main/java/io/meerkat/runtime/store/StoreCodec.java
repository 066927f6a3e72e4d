package io.meerkat.runtime.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.StoredSession;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
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
 * instants as ISO-8601 with every digit, the subtypes of {@link Input} and {@link CompletionOutcome} by a
 * {@code type} name that is part of the schema: renaming one needs a migration. Thread safe.
 */
final class StoreCodec {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .addModule(new SimpleModule("meerkat-ids")
                    .addSerializer(SessionId.class, new ToText<>(SessionId.class))
                    .addDeserializer(SessionId.class, new FromText<>(SessionId.class, SessionId::parse))
                    .addSerializer(InputId.class, new ToText<>(InputId.class))
                    .addDeserializer(InputId.class, new FromText<>(InputId.class, InputId::parse))
                    .addSerializer(RunId.class, new ToText<>(RunId.class))
                    .addDeserializer(RunId.class, new FromText<>(RunId.class, RunId::parse)))
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

    static InputStatus status(String json) {
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

    private static <T> T read(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JacksonException e) {
            throw new IllegalStateException("stored " + type.getSimpleName() + " cannot be read: " + e.getOriginalMessage(), e);
        }
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
}
