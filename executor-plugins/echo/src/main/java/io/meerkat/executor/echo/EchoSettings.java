package io.meerkat.executor.echo;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.ExecutorConfig;
import java.time.Duration;
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
 * </table>
 *
 * <p>Every key is client-settable: an echo run touches nothing on the host.
 */
record EchoSettings(Duration delay, double failureRate, Random random, String template) {

    static final String TEXT_PLACEHOLDER = "{text}";
    static final Duration MAX_DELAY = Duration.ofHours(1);
    static final int MAX_TEMPLATE_CHARS = 1_024;
    static final int MAX_PLACEHOLDERS = 4;

    /** The keys {@link #from} reads. */
    static final List<ConfigKey> KEYS = List.of(
            ConfigKey.client("delayMs", "how long each run takes, in milliseconds (0 to 3600000)"),
            ConfigKey.client("failureRate", "share of runs that fail, 0 to 1"),
            ConfigKey.client("seed", "seed of the failure draw, for repeatable runs; random per session when absent"),
            ConfigKey.client("template", "the reply; {text} (at most 4 times) stands for the input text; "
                    + "at most 1024 characters"));

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
        return new EchoSettings(delay, failureRate, new Random(seed), template);
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
}
