package io.meerkat.distribution.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.lang.reflect.RecordComponent;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API's JSON codec (Jackson). Reading is strict: an unknown field ({@code unknown_field}), a
 * top-level field of the wrong JSON type ({@code invalid_field}) or malformed JSON is a 400 whose message
 * says what was wrong; {@code null} fields are left out when writing.
 */
final class Json {

    private final JsonMapper mapper = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    <T> T read(byte[] body, Class<T> type) {
        try {
            JsonNode tree = mapper.readTree(body);
            checkFieldTypes(tree, type);
            T value = mapper.treeToValue(tree, type);
            if (value == null) {
                throw ApiException.badRequest("malformed_json", "the body must be a JSON object, was null");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("unknown_field", "unknown field '" + e.getPropertyName()
                    + "'; known fields: " + e.getKnownPropertyIds());
        } catch (MismatchedInputException e) {
            // Jackson's own words here name our Java classes; say it in the API's terms instead.
            String field = e.getPath().stream().map(reference -> reference.getPropertyName() != null
                    ? reference.getPropertyName() : "[" + reference.getIndex() + "]").collect(Collectors.joining("."));
            if (field.isEmpty()) {
                throw ApiException.badRequest("malformed_json", "the body must be a JSON object");
            }
            throw ApiException.badRequest("invalid_field", "'" + field + "' has the wrong JSON type for this request");
        } catch (JacksonException e) {
            throw ApiException.badRequest("malformed_json", "the body is not valid JSON for this request: "
                    + e.getOriginalMessage());
        }
    }

    /** Each request record's components, read once per class: {@code getRecordComponents()} builds them anew per call. */
    private static final ClassValue<RecordComponent[]> COMPONENTS = new ClassValue<>() {
        @Override
        protected RecordComponent[] computeValue(Class<?> type) {
            return type.getRecordComponents();
        }
    };

    /**
     * Refuses a top-level text field given as another JSON type: Jackson would turn {@code 123} or
     * {@code true} into text silently, and {@code "200"} or {@code 2.5} into a number; likewise an object field ({@code config}) given as anything but an
     * object. Only the request record's own fields are checked; nested values (the keys of a session's
     * {@code config}) are left to their own rules.
     */
    private static void checkFieldTypes(JsonNode tree, Class<?> type) {
        if (!type.isRecord() || !tree.isObject()) {
            return;
        }
        for (RecordComponent component : COMPONENTS.get(type)) {
            JsonNode value = tree.get(component.getName());
            if (component.getType() == String.class && value != null && !value.isNull() && !value.isString()) {
                throw ApiException.badRequest("invalid_field", "'" + component.getName() + "' must be a string, was "
                        + (value.isObject() || value.isArray() ? "an " : "a ")
                        + value.getNodeType().name().toLowerCase(Locale.ROOT));
            }
            if ((component.getType() == Long.class || component.getType() == Integer.class) && value != null
                    && !value.isNull() && !value.isIntegralNumber()) {
                throw ApiException.badRequest("invalid_field", "'" + component.getName() + "' must be a whole number, was "
                        + (value.isObject() || value.isArray() ? "an " : "a ")
                        + value.getNodeType().name().toLowerCase(Locale.ROOT));
            }
            if (Map.class.isAssignableFrom(component.getType()) && value != null && !value.isNull() && !value.isObject()) {
                throw ApiException.badRequest("invalid_field", "'" + component.getName() + "' must be an object, was "
                        + (value.isArray() ? "an " : "a ") + value.getNodeType().name().toLowerCase(Locale.ROOT));
            }
        }
    }

    byte[] write(Object value) {
        return mapper.writeValueAsBytes(value);
    }

    String writeString(Object value) {
        return mapper.writeValueAsString(value);
    }
}
