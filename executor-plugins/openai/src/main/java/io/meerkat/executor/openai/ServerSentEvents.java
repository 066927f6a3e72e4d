package io.meerkat.executor.openai;

import java.util.Optional;

/**
 * Frames a {@code text/event-stream} body, fed line by line (without line terminators), into the
 * data of its events: {@code data:} lines accumulate (joined by a newline), a blank line ends the
 * event, {@code :} comments and other fields ({@code event:}, {@code id:}, {@code retry:}) are
 * skipped. Not thread safe: one instance per stream, fed by one subscriber.
 */
final class ServerSentEvents {

    private final StringBuilder data = new StringBuilder();
    private boolean hasData;

    /**
     * Takes one line of the stream.
     *
     * @return the data of the event this line ends, if it ends one
     */
    Optional<String> line(String line) {
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.startsWith(":")) {
            return Optional.empty();
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        if (field.equals("data")) {
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
        }
        return Optional.empty();
    }

    /** The data of an event the stream ended without a blank line after, if any. */
    Optional<String> end() {
        return dispatch();
    }

    private Optional<String> dispatch() {
        if (!hasData) {
            return Optional.empty();
        }
        String event = data.toString();
        data.setLength(0);
        hasData = false;
        return Optional.of(event);
    }
}
