package io.meerkat.executor.openai;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.ExecutorConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The openai executor's configuration, validated: every invalid value is refused when the session
 * is created, with a message naming the key and the value.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code baseUrl}</td><td>{@code https://api.openai.com/v1}</td><td>the API root; requests go to
 *       {@code <baseUrl>/chat/completions}</td></tr>
 *   <tr><td>{@code model}</td><td>required</td><td>the model asked for</td></tr>
 *   <tr><td>{@code apiKeyEnv}</td><td>{@code OPENAI_API_KEY}</td><td>the environment variable holding the key</td></tr>
 *   <tr><td>{@code apiKeyRequired}</td><td>{@code true}</td><td>{@code false} lets a session run without a key
 *       (local servers); the key is still sent when the variable is set</td></tr>
 *   <tr><td>{@code systemPrompt}</td><td>none</td><td>a system message put before every request's messages</td></tr>
 *   <tr><td>{@code connectTimeoutMs}</td><td>30000</td><td>time to connect and receive the response headers</td></tr>
 *   <tr><td>{@code readTimeoutMs}</td><td>60000</td><td>longest silence allowed while the body streams</td></tr>
 *   <tr><td>{@code maxRetries}</td><td>0</td><td>extra tries after a 429 or 5xx answer (0 to 5)</td></tr>
 *   <tr><td>{@code retryDelayMs}</td><td>1000</td><td>wait before a retry when the server sends no {@code Retry-After}</td></tr>
 *   <tr><td>{@code maxHistoryMessages}</td><td>50</td><td>earlier messages of the session sent along (0: none)</td></tr>
 *   <tr><td>{@code progressIntervalMs}</td><td>250</td><td>least time between two progress reports of a run</td></tr>
 *   <tr><td>{@code temperature}</td><td>server default</td><td>sampling temperature, 0 to 2</td></tr>
 *   <tr><td>{@code maxTokens}</td><td>server default</td><td>{@code max_tokens} of the request</td></tr>
 *   <tr><td>{@code stream}</td><td>{@code true}</td><td>{@code false} asks for the whole answer in one JSON
 *       body instead of a stream of events</td></tr>
 * </table>
 *
 * <p>Where requests go and with which credentials is the operator's to decide: {@code baseUrl},
 * {@code apiKeyEnv}, {@code apiKeyRequired}, the timeouts and the retries are
 * {@link ConfigKey.Owner#OPERATOR} keys, set in profiles. A client picks a profile and may set the
 * model, the prompt and the sampling keys.
 *
 * @param endpoint           the chat-completions URL
 * @param model              the model asked for
 * @param apiKeyEnv          the name of the environment variable holding the key
 * @param apiKey             the key, empty when none is set and none is required
 * @param systemPrompt       a system message sent first, if any
 * @param connectTimeout     time to connect and receive the response headers
 * @param readTimeout        longest silence while the body streams
 * @param maxRetries         extra tries after a retryable answer
 * @param retryDelay         wait before a retry without {@code Retry-After}
 * @param maxHistoryMessages earlier messages sent along
 * @param progressInterval   least time between two progress reports
 * @param temperature        sampling temperature, if set
 * @param maxTokens          reply length limit, if set
 * @param stream             whether the answer is asked for as a stream of events
 */
record OpenAiSettings(URI endpoint, String model, String apiKeyEnv, Optional<ApiKey> apiKey,
                      Optional<String> systemPrompt, Duration connectTimeout, Duration readTimeout, int maxRetries,
                      Duration retryDelay, int maxHistoryMessages, Duration progressInterval,
                      OptionalDouble temperature, OptionalLong maxTokens, boolean stream) {

    static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
    static final String DEFAULT_API_KEY_ENV = "OPENAI_API_KEY";
    /** One hour: longer waits are a misconfiguration, and larger values overflow nanosecond timers. */
    static final long MAX_TIMEOUT_MS = 3_600_000;
    /** The keys {@link #from} reads. */
    static final List<ConfigKey> KEYS = List.of(
            ConfigKey.operator("baseUrl", "the API root; requests go to <baseUrl>/chat/completions"),
            ConfigKey.operator("apiKeyEnv", "the environment variable holding the API key"),
            ConfigKey.operator("apiKeyRequired", "false lets a session run without a key (local servers)"),
            ConfigKey.operator("connectTimeoutMs", "time to connect and receive the response headers"),
            ConfigKey.operator("readTimeoutMs", "longest silence allowed while the body streams"),
            ConfigKey.operator("maxRetries", "extra tries after a 429 or 5xx answer (0 to 5)"),
            ConfigKey.operator("retryDelayMs", "wait before a retry when the server sends no Retry-After"),
            ConfigKey.client("model", "the model asked for"),
            ConfigKey.client("systemPrompt", "a system message put before every request's messages"),
            ConfigKey.client("maxHistoryMessages", "earlier messages of the session sent along (0 to 10000)"),
            ConfigKey.client("progressIntervalMs", "least time between two progress reports of a run"),
            ConfigKey.client("temperature", "sampling temperature, 0 to 2"),
            ConfigKey.client("maxTokens", "max_tokens of the request"),
            ConfigKey.client("stream", "false asks for the whole answer in one body instead of a stream"));

    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * Reads and validates a session's configuration.
     *
     * @param environment looks an environment variable up ({@code System::getenv} in production)
     * @throws IllegalArgumentException naming the key and the value when a value is invalid, or when
     *                                  the key's variable is not set and a key is required
     */
    static OpenAiSettings from(ExecutorConfig config, Function<String, String> environment) {
        URI endpoint = endpoint(config);
        String model = config.required("model");
        String apiKeyEnv = config.string("apiKeyEnv", DEFAULT_API_KEY_ENV).trim();
        if (!VARIABLE_NAME.matcher(apiKeyEnv).matches()) {
            throw invalid(config, "apiKeyEnv", "must be an environment variable name", apiKeyEnv);
        }
        boolean apiKeyRequired = config.bool("apiKeyRequired", true);
        Optional<ApiKey> apiKey = Optional.ofNullable(environment.apply(apiKeyEnv))
                .filter(value -> !value.isBlank()).map(value -> new ApiKey(value.trim()));
        if (apiKey.isEmpty() && apiKeyRequired) {
            throw new IllegalArgumentException("executor '" + config.kind() + "': environment variable '" + apiKeyEnv
                    + "' (config 'apiKeyEnv') holds no API key; set it, or set 'apiKeyRequired' to false"
                    + " for a server that needs none");
        }
        Duration connectTimeout = config.millis("connectTimeoutMs", Duration.ofSeconds(30), Duration.ofMillis(1), Duration.ofMillis(MAX_TIMEOUT_MS));
        Duration readTimeout = config.millis("readTimeoutMs", Duration.ofSeconds(60), Duration.ofMillis(1), Duration.ofMillis(MAX_TIMEOUT_MS));
        int maxRetries = config.intValue("maxRetries", 0, 0, 5);
        Duration retryDelay = config.millis("retryDelayMs", Duration.ofSeconds(1), Duration.ofMinutes(1));
        int maxHistoryMessages = config.intValue("maxHistoryMessages", 50, 0, 10_000);
        Duration progressInterval = config.millis("progressIntervalMs", Duration.ofMillis(250), Duration.ofHours(1));
        OptionalDouble temperature = config.string("temperature").isPresent()
                ? OptionalDouble.of(config.doubleValue("temperature", 1, 0, 2)) : OptionalDouble.empty();
        OptionalLong maxTokens = config.string("maxTokens").isPresent()
                ? OptionalLong.of(config.longValue("maxTokens", 1, 1, Integer.MAX_VALUE)) : OptionalLong.empty();
        return new OpenAiSettings(endpoint, model, apiKeyEnv, apiKey, config.string("systemPrompt"), connectTimeout,
                readTimeout, maxRetries, retryDelay, maxHistoryMessages, progressInterval, temperature, maxTokens,
                config.bool("stream", true));
    }

    private static URI endpoint(ExecutorConfig config) {
        String baseUrl = config.string("baseUrl", DEFAULT_BASE_URL).trim();
        try {
            URI base = new URI(baseUrl);
            if (base.getRawUserInfo() != null) {
                // Not quoted: the value holds a credential, and this message may reach a client.
                throw new IllegalArgumentException("executor '" + config.kind() + "': config 'baseUrl' must not "
                        + "carry credentials (user:password@); name the key's environment variable in 'apiKeyEnv'");
            }
            String scheme = base.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || base.getHost() == null || base.getRawQuery() != null || base.getRawFragment() != null) {
                throw invalid(config, "baseUrl", "must be an http or https URL without query, e.g. "
                        + DEFAULT_BASE_URL, baseUrl);
            }
            String root = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
            return new URI(root + "/chat/completions");
        } catch (URISyntaxException e) {
            throw invalid(config, "baseUrl", "must be an http or https URL (" + e.getReason() + ")", baseUrl);
        }
    }

    private static IllegalArgumentException invalid(ExecutorConfig config, String key, String expectation, String given) {
        return new IllegalArgumentException("executor '" + config.kind() + "': config '" + key + "' " + expectation
                + ", was '" + given + "'");
    }
}
