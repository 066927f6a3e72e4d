package io.meerkat.executor.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads UTF-8 lines ending in {@code \n} (a {@code \r} before it is dropped) from a stream, holding
 * at most {@code maxLineBytes} of one line in memory whatever the stream sends. Not thread safe: one
 * reader per stream.
 */
final class LineReader {

    /** A line longer than the limit; the rest of the line is still unread. */
    static final class LineTooLongException extends IOException {

        private static final long serialVersionUID = 1L;

        /** The line's first {@code maxLineBytes} bytes. */
        private final String start;

        LineTooLongException(int maxLineBytes, String start) {
            super("a line longer than " + maxLineBytes + " bytes");
            this.start = start;
        }

        String start() {
            return start;
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;

    LineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * The next line without its terminator, or {@code null} at the end of the stream. A last line
     * without a terminator is returned as a line.
     *
     * @throws LineTooLongException if the line exceeds the limit
     */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (position == limit && !fill()) {
                return line.size() == 0 ? null : decode(line);
            }
            int end = position;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            int take = end - position;
            if (line.size() + take > maxLineBytes) {
                line.write(buffer, position, maxLineBytes - line.size());
                position += take;
                throw new LineTooLongException(maxLineBytes, decode(line));
            }
            line.write(buffer, position, take);
            position = end;
            if (end < limit) {
                position++;
                return decode(line);
            }
        }
    }

    /**
     * The next line, cut to the limit, or {@code null} at the end of the stream: the rest of a long
     * line is skipped. For streams that are logged rather than interpreted.
     */
    String readLineTruncated() throws IOException {
        try {
            return readLine();
        } catch (LineTooLongException e) {
            skipRestOfLine();
            return e.start() + "...";
        }
    }

    private void skipRestOfLine() throws IOException {
        while (true) {
            if (position == limit && !fill()) {
                return;
            }
            while (position < limit) {
                if (buffer[position++] == '\n') {
                    return;
                }
            }
        }
    }

    private boolean fill() throws IOException {
        int read = in.read(buffer);
        if (read < 0) {
            return false;
        }
        position = 0;
        limit = read;
        return true;
    }

    private static String decode(ByteArrayOutputStream line) {
        String text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }
}
