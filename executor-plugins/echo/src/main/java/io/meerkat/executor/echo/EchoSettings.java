package io.meerkat.executor.echo;

import io.meerkat.runtime.api.spi.ExecutorConfig;
import java.time.Duration;
import java.util.Random;

/**
 * The echo executor's configuration.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code delayMs}</td><td>0</td><td>how long each run takes</td></tr>
 *   <tr><td>{@code failureRate}</td><td>0</td><td>share of runs that fail, 0 to 1</td></tr>
 *   <tr><td>{@code seed}</td><td>random</td><td>seed of the failure draw, for repeatable runs</td></tr>
 *   <tr><td>{@code template}</td><td>{@code {text}}</td><td>the reply; {@code {text}} stands for the input text</td></tr>
 * </table>
 */
record EchoSettings(Duration delay, double failureRate, Random random, String template) {

    static final String TEXT_PLACEHOLDER = "{text}";

    static EchoSettings from(ExecutorConfig config) {
        Duration delay = config.millis("delayMs", Duration.ZERO);
        double failureRate = config.doubleValue("failureRate", 0, 0, 1);
        long seed = config.longValue("seed", new Random().nextLong(), Long.MIN_VALUE, Long.MAX_VALUE);
        String template = config.string("template", TEXT_PLACEHOLDER);
        return new EchoSettings(delay, failureRate, new Random(seed), template);
    }

    String reply(String text) {
        return template.replace(TEXT_PLACEHOLDER, text);
    }
}
