package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Bounded line reading: terminators, the last line, the limit. */
class LineReaderTest {

    private static LineReader reader(String text, int max) {
        return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max);
    }

    @Test
    void readsLinesWithOrWithoutCarriageReturnAndALastLineWithoutTerminator() throws IOException {
        LineReader reader = reader("one\r\ntwo\n\nthrée", 64);
        assertEquals("one", reader.readLine());
        assertEquals("two", reader.readLine());
        assertEquals("", reader.readLine());
        assertEquals("thrée", reader.readLine());
        assertNull(reader.readLine());
    }

    @Test
    void aLineOverTheLimitIsRefusedWithItsStart() {
        LineReader.LineTooLongException tooLong = assertThrows(LineReader.LineTooLongException.class,
                () -> reader("abcdefghij\n", 4).readLine());
        assertEquals("abcd", tooLong.start());
        assertEquals("a line longer than 4 bytes", tooLong.getMessage());
    }

    @Test
    void truncatedReadingCutsLongLinesAndGoesOn() throws IOException {
        String longLine = "y".repeat(20_000);
        LineReader reader = reader("short\n" + longLine + "\nafter\n", 10);
        assertEquals("short", reader.readLineTruncated());
        assertEquals("yyyyyyyyyy...", reader.readLineTruncated());
        assertEquals("after", reader.readLineTruncated());
        assertNull(reader.readLineTruncated());
    }
}
