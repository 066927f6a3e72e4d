package io.meerkat.distribution.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API's JSON codec (Jackson). Reading is strict: an unknown field, a wrong type or malformed JSON
 * is a 400 whose message says what was wrong; {@code null} fields are left out when writing.
 */
final class Json {

    private final JsonMapper mapper = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    <T> T read(byte[] body, Class<T> type) {
        try {
            T value = mapper.readValue(body, type);
            if (value == null) {
                throw ApiException.badRequest("malformed_json", "the body must be a JSON object, was null");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("unknown_field", "unknown field '" + e.getPropertyName()
                    + "'; known fields: " + e.getKnownPropertyIds());
        } catch (JacksonException e) {
            throw ApiException.badRequest("malformed_json", "the body is not valid JSON for this request: "
                    + e.getOriginalMessage());
        }
    }

    byte[] write(Object value) {
        return mapper.writeValueAsBytes(value);
    }

    String writeString(Object value) {
        return mapper.writeValueAsString(value);
    }
}
