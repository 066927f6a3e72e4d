package io.meerkat.executor.process;

/**
 * An agent program's output line that breaks the protocol: not JSON, not an object, an unknown
 * {@code "type"}, a missing or mistyped field, an unsupported version, or a line that is too long.
 * The message says what is wrong and quotes a truncated snippet of the line.
 */
final class ProtocolViolation extends Exception {

    private static final long serialVersionUID = 1L;

    /** How much of an offending line a message quotes. */
    static final int SNIPPET_CHARS = 120;

    ProtocolViolation(String reason, String line) {
        super(reason + ": " + snippet(line));
    }

    ProtocolViolation(String reason) {
        super(reason);
    }

    /** {@code line} quoted, cut to {@link #SNIPPET_CHARS} characters. */
    static String snippet(String line) {
        if (line.length() <= SNIPPET_CHARS) {
            return "'" + line + "'";
        }
        return "'" + line.substring(0, SNIPPET_CHARS) + "...' (" + line.length() + " chars)";
    }
}
