package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputKind;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.Lane;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class StoreCodecTest {

    private static InputStatus statusAt(InputId id, Instant at) {
        return new InputStatus(id, InputKind.PROMPT, InputLifecycleState.QUEUED, Lane.QUEUE, 0, null, null,
                List.of(new InputTransitionRecord(at, null, InputLifecycleState.ACCEPTED, null),
                        new InputTransitionRecord(at, InputLifecycleState.ACCEPTED, InputLifecycleState.QUEUED, null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-12-07T15:00:00.123456789Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999999Z",
            "1677-09-21T00:12:44Z", "2262-04-11T23:47:16.854775807Z", "+1000000000-12-31T23:59:59.999999999Z",
            "-1000000000-01-01T00:00:00Z"})
    void instantsRoundTripExactlyAtEveryRange(String text) {
        InputStatus status = statusAt(InputId.random(), Instant.parse(text));

        assertEquals(status, StoreCodec.status(StoreCodec.write(status)));
    }

    @Test
    void instantsAreWrittenAsNanosecondsSinceTheEpoch() {
        String json = StoreCodec.write(statusAt(InputId.random(), Instant.parse("2026-12-07T15:00:00.123456789Z")));

        assertTrue(json.contains("\"at\":1796655600123456789"), json);
    }

    @Test
    void version1RowsWithIsoTextInstantsAreStillRead() {
        InputId id = InputId.random();
        String version1 = "{\"inputId\":\"" + id + "\",\"kind\":\"PROMPT\",\"state\":\"QUEUED\",\"lane\":\"QUEUE\","
                + "\"attempts\":0,\"history\":[{\"at\":\"2026-12-07T15:00:00.123456789Z\",\"to\":\"ACCEPTED\"},"
                + "{\"at\":\"2026-12-07T15:00:00.123456789Z\",\"from\":\"ACCEPTED\",\"to\":\"QUEUED\"}]}";

        assertEquals(statusAt(id, Instant.parse("2026-12-07T15:00:00.123456789Z")), StoreCodec.status(version1));
    }

    @Test
    void everyFieldOfAStatusIsReadAndAnUnknownOneSkipped() {
        InputId id = InputId.random();
        InputId by = InputId.random();
        String json = "{\"inputId\":\"" + id + "\",\"kind\":\"PEER_MESSAGE\",\"state\":\"ABANDONED\",\"lane\":\"STEER\","
                + "\"attempts\":3,\"abandonReason\":\"MAX_ATTEMPTS_EXHAUSTED\",\"supersededBy\":\"" + by + "\","
                + "\"added later\":{\"nested\":[1,{\"a\":null}]},"
                + "\"history\":[{\"at\":1796655600123456789,\"to\":\"ACCEPTED\",\"unknown\":[]},"
                + "{\"at\":\"2026-12-07T15:00:01Z\",\"from\":\"ACCEPTED\",\"to\":\"ABANDONED\",\"reason\":\"gave up\"}]}";

        assertEquals(new InputStatus(id, InputKind.PEER_MESSAGE, InputLifecycleState.ABANDONED, Lane.STEER, 3,
                AbandonReason.MAX_ATTEMPTS_EXHAUSTED, by, List.of(
                        new InputTransitionRecord(Instant.parse("2026-12-07T15:00:00.123456789Z"), null,
                                InputLifecycleState.ACCEPTED, null),
                        new InputTransitionRecord(Instant.parse("2026-12-07T15:00:01Z"), InputLifecycleState.ACCEPTED,
                                InputLifecycleState.ABANDONED, "gave up"))), StoreCodec.status(json));
    }
}
