package io.meerkat.executor.echo;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.ExecutorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The echo executor's configuration.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code delayMs}</td><td>0</td><td>how long each run takes, at most one hour</td></tr>
 *   <tr><td>{@code failureRate}</td><td>0</td><td>share of runs that fail, 0 to 1</td></tr>
 *   <tr><td>{@code seed}</td><td>a fresh random one per session</td><td>seed of the failure draw; set it to
 *       repeat a session's sequence of failures</td></tr>
 *   <tr><td>{@code template}</td><td>{@code {text}}</td><td>the reply; {@code {text}} stands for the input text
 *       (at most 4 times; at most 1024 characters)</td></tr>
 *   <tr><td>{@code chunks}</td><td>1</td><td>how many output deltas the reply is streamed in (1 to 1000; fewer
 *       when the reply has fewer characters), spread evenly over the delay</td></tr>
 * </table>
 *
 * <p>Every key is client-settable: an echo run touches nothing on the host.
 */
record EchoSettings(Duration delay, double failureRate, Random random, String template, int chunks) {

    static final String TEXT_PLACEHOLDER = "{text}";
    static final Duration MAX_DELAY = Duration.ofHours(1);
    static final int MAX_TEMPLATE_CHARS = 1_024;
    static final int MAX_PLACEHOLDERS = 4;
    static final int MAX_CHUNKS = 1_000;

    /** The keys {@link #from} reads. */
    static final List<ConfigKey> KEYS = List.of(
            ConfigKey.client("delayMs", "how long each run takes, in milliseconds (0 to 3600000)"),
            ConfigKey.client("failureRate", "share of runs that fail, 0 to 1"),
            ConfigKey.client("seed", "seed of the failure draw, for repeatable runs; random per session when absent"),
            ConfigKey.client("template", "the reply; {text} (at most 4 times) stands for the input text; "
                    + "at most 1024 characters"),
            ConfigKey.client("chunks", "how many output deltas the reply is streamed in, spread over delayMs (1 to 1000)"));

    static EchoSettings from(ExecutorConfig config) {
        Duration delay = config.millis("delayMs", Duration.ZERO, MAX_DELAY);
        double failureRate = config.doubleValue("failureRate", 0, 0, 1);
        // Unseeded by default on purpose: simulated failures of separate sessions are independent.
        long seed = config.longValue("seed", new Random().nextLong(), Long.MIN_VALUE, Long.MAX_VALUE);
        String template = config.string("template", TEXT_PLACEHOLDER);
        // A client sets the template: bounded, so that a reply stays within a few times its input.
        if (template.length() > MAX_TEMPLATE_CHARS) {
            throw new IllegalArgumentException("executor 'echo': config 'template' must be at most " + MAX_TEMPLATE_CHARS
                    + " characters, was " + template.length());
        }
        if (occurrences(template) > MAX_PLACEHOLDERS) {
            throw new IllegalArgumentException("executor 'echo': config 'template' may hold " + TEXT_PLACEHOLDER
                    + " at most " + MAX_PLACEHOLDERS + " times, held it " + occurrences(template));
        }
        int chunks = config.intValue("chunks", 1, 1, MAX_CHUNKS);
        return new EchoSettings(delay, failureRate, new Random(seed), template, chunks);
    }

    private static int occurrences(String template) {
        int count = 0;
        for (int at = template.indexOf(TEXT_PLACEHOLDER); at >= 0; at = template.indexOf(TEXT_PLACEHOLDER, at + 1)) {
            count++;
        }
        return count;
    }

    String reply(String text) {
        return template.replace(TEXT_PLACEHOLDER, text);
    }

    /**
     * The reply cut into {@code chunks} pieces of nearly equal length (fewer when it has fewer code points;
     * none when it is empty), never inside a surrogate pair; the pieces concatenated are the reply.
     */
    List<String> pieces(String reply) {
        int codePoints = reply.codePointCount(0, reply.length());
        int count = Math.min(chunks, codePoints);
        List<String> pieces = new ArrayList<>(count);
        int start = 0;
        int taken = 0;
        for (int i = 1; i <= count; i++) {
            int upTo = (int) ((long) codePoints * i / count);
            int end = reply.offsetByCodePoints(start, upTo - taken);
            pieces.add(reply.substring(start, end));
            start = end;
            taken = upTo;
        }
        return pieces;
    }
}
