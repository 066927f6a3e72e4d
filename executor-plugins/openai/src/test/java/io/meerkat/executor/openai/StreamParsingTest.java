package io.meerkat.executor.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Server-sent event framing and chunk accumulation, without a server. */
class StreamParsingTest {

    private static List<String> frame(String... lines) {
        ServerSentEvents events = new ServerSentEvents();
        List<String> data = new ArrayList<>();
        for (String line : lines) {
            events.line(line).ifPresent(data::add);
        }
        events.end().ifPresent(data::add);
        return data;
    }

    @Test
    void eventsEndAtBlankLinesAndJoinTheirDataLines() {
        assertEquals(List.of("one", "two\nlines", "tail"),
                frame("data: one", "", ": a comment", "event: message", "id: 7", "data: two", "data:lines", "", "",
                        "data: tail"));
    }

    @Test
    void aDataFieldWithoutValueIsAnEmptyLine() {
        assertEquals(List.of("\nafter"), frame("data", "data: after", ""));
    }

    private final CompletionAccumulator accumulator = new CompletionAccumulator(JsonMapper.shared(), "asked-for");

    @Test
    void deltasUsageAndFinishReasonAccumulateUntilDone() {
        assertFalse(accumulator.accept(Scripts.delta("Hi ")));
        assertFalse(accumulator.accept(Scripts.delta("there")));
        assertFalse(accumulator.accept(Scripts.finish("stop")));
        assertFalse(accumulator.accept(Scripts.usage(1, 2, 3)));
        assertTrue(accumulator.accept("[DONE]"));
        assertEquals(new ChatCompletion("Hi there", Scripts.MODEL, Optional.of("stop"),
                Optional.of(new TokenUsage(1, 2, 3))), accumulator.completion());
    }

    @Test
    void aChunkWithoutModelKeepsTheModelAskedFor() {
        accumulator.accept("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}");
        assertEquals("asked-for", accumulator.completion().model());
        assertEquals("", accumulator.completion().text());
    }

    @Test
    void chunksOfTheWrongShapeAreMalformed() {
        assertEquals("executor 'openai': malformed stream chunk (not a JSON object): [1,2]",
                assertThrows(OpenAiCallException.class, () -> accumulator.accept("[1,2]")).getMessage());
        assertEquals("executor 'openai': malformed stream chunk ('choices' is not an array): {\"choices\":{}}",
                assertThrows(OpenAiCallException.class, () -> accumulator.accept("{\"choices\":{}}")).getMessage());
        assertEquals("executor 'openai': malformed stream chunk ('delta.content' is not a string): "
                        + "{\"choices\":[{\"delta\":{\"content\":5}}]}",
                assertThrows(OpenAiCallException.class,
                        () -> accumulator.accept("{\"choices\":[{\"delta\":{\"content\":5}}]}")).getMessage());
    }
}
