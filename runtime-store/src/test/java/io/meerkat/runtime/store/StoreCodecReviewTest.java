package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * StatusReader claims to read "as the default record reader would". It does not: rows the databind
 * reader (schema v1 code) refused as "stored InputStatus cannot be read" are now accepted with nulls or an
 * empty history, and an unknown enum name or unparseable instant escapes as a raw IllegalArgumentException /
 * DateTimeParseException instead of the codec's IllegalStateException.
 */
class StoreCodecReviewTest {

    private static final String ID = "01a2515d-e5c9-7e0a-965c-f1daee1bd704";
    private static final String HEAD = "{\"inputId\":\"" + ID + "\",\"kind\":\"PROMPT\",\"state\":\"QUEUED\",\"lane\":\"QUEUE\"";
    private static final String HISTORY = ",\"history\":[{\"at\":\"2026-12-07T15:00:00Z\",\"to\":\"ACCEPTED\"}]";

    @ParameterizedTest
    @ValueSource(strings = {
            // not an object at all: the old reader refused it; now an InputStatus of nulls
            "[]",
            // no history / null history: the old reader failed in the record's List.copyOf(null)
            HEAD + ",\"attempts\":1}",
            HEAD + ",\"attempts\":1,\"history\":null}",
            // history not an array: the old reader refused it; now an empty history
            HEAD + ",\"attempts\":1,\"history\":\"oops\"}",
            // null for the int (FAIL_ON_NULL_FOR_PRIMITIVES is on in Jackson 3): now 0
            HEAD + ",\"attempts\":null" + HISTORY + "}",
            // unknown enum name / bad instant text: must fail as unreadable, not as a raw runtime exception
            "{\"inputId\":\"" + ID + "\",\"kind\":\"NOPE\",\"state\":\"QUEUED\",\"lane\":\"QUEUE\",\"attempts\":1" + HISTORY + "}",
            HEAD + ",\"attempts\":1,\"history\":[{\"at\":\"garbage\",\"to\":\"ACCEPTED\"}]}",
    })
    void aStatusTheDatabindReaderRefusedIsRefusedAsUnreadable(String json) {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> StoreCodec.status(json.getBytes(StandardCharsets.UTF_8)));
        assertTrue(refused.getMessage().startsWith("stored InputStatus cannot be read"), refused.getMessage());
    }
}
