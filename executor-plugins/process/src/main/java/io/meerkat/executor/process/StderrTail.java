package io.meerkat.executor.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains an agent program's stderr so that it never blocks on a full pipe: every line goes to the
 * log (DEBUG, this class's logger) and the last few lines are kept for failure messages. The memory
 * held is bounded whatever the program writes.
 */
final class StderrTail {

    private static final Logger LOG = LoggerFactory.getLogger(StderrTail.class);
    static final int MAX_LINES = 20;
    static final int MAX_LINE_BYTES = 1024;
    static final int MAX_TAIL_CHARS = 2000;

    private final String program;
    private final Deque<String> lines = new ArrayDeque<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    StderrTail(String program) {
        this.program = program;
    }

    /** Reads {@code stderr} to its end; run it on a thread of its own. Closes the stream. */
    void drain(InputStream stderr) {
        try (stderr) {
            LineReader reader = new LineReader(stderr, MAX_LINE_BYTES);
            String line;
            while ((line = reader.readLineTruncated()) != null) {
                LOG.debug("{} stderr: {}", program, line);
                synchronized (lines) {
                    if (lines.size() == MAX_LINES) {
                        lines.removeFirst();
                    }
                    lines.addLast(line);
                }
            }
        } catch (IOException e) {
            // The stream is closed under the reader when the process is destroyed: the tail so far is kept.
            LOG.debug("{} stderr: reading stopped: {}", program, e.toString());
        } finally {
            drained.complete(null);
        }
    }

    /** Completes once stderr has reached its end (every process holding it has exited). */
    CompletableFuture<Void> drained() {
        return drained;
    }

    /** The last lines read so far, joined by {@code " | "}, at most {@link #MAX_TAIL_CHARS} characters; empty if none. */
    String tail() {
        String joined;
        synchronized (lines) {
            joined = String.join(" | ", lines);
        }
        return joined.length() <= MAX_TAIL_CHARS ? joined : "..." + joined.substring(joined.length() - MAX_TAIL_CHARS);
    }
}
