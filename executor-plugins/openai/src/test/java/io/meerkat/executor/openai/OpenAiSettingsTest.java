package io.meerkat.executor.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.spi.ExecutorConfig;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading the openai configuration: defaults, the API key from the environment, clear refusals. */
class OpenAiSettingsTest {

    private static OpenAiSettings read(String... keysAndValues) {
        Map<String, String> values = new HashMap<>(Map.of("model", "gpt-test"));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return OpenAiSettings.from(new ExecutorConfig("openai", values),
                name -> name.equals("OPENAI_API_KEY") ? "sk-from-env" : null);
    }

    @Test
    void defaultsPointAtTheOpenAiApiWithTheKeyFromOpenAiApiKey() {
        OpenAiSettings settings = read();
        assertEquals(URI.create("https://api.openai.com/v1/chat/completions"), settings.endpoint());
        assertEquals("gpt-test", settings.model());
        assertEquals("Bearer sk-from-env", settings.apiKey().orElseThrow().bearer());
        assertEquals(Duration.ofSeconds(30), settings.connectTimeout());
        assertEquals(Duration.ofSeconds(60), settings.readTimeout());
        assertEquals(0, settings.maxRetries());
        assertEquals(50, settings.maxHistoryMessages());
        assertEquals(Optional.empty(), settings.systemPrompt());
        assertTrue(settings.temperature().isEmpty() && settings.maxTokens().isEmpty());
    }

    @Test
    void aBaseUrlWithOrWithoutTrailingSlashGivesTheSameEndpoint() {
        assertEquals(URI.create("http://localhost:8080/v1/chat/completions"),
                read("baseUrl", "http://localhost:8080/v1/").endpoint());
        assertEquals(URI.create("http://localhost:8080/v1/chat/completions"),
                read("baseUrl", "http://localhost:8080/v1").endpoint());
    }

    @Test
    void theKeyNeverShowsInTheSettingsText() {
        assertFalse(read().toString().contains("sk-from-env"), read().toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "model||executor 'openai': config 'model' is required",
        "baseUrl|ftp://example.org/v1|executor 'openai': config 'baseUrl' must be an http or https URL without query, e.g. https://api.openai.com/v1, was 'ftp://example.org/v1'",
        "baseUrl|http://exa mple|executor 'openai': config 'baseUrl' must be an http or https URL (Illegal character in authority), was 'http://exa mple'",
        "apiKeyEnv|MY-KEY|executor 'openai': config 'apiKeyEnv' must be an environment variable name, was 'MY-KEY'",
        "apiKeyRequired|maybe|executor 'openai': config 'apiKeyRequired' must be true or false, was 'maybe'",
        "readTimeoutMs|0|executor 'openai': config 'readTimeoutMs' must be between 1 and 3600000, was '0'",
        "maxRetries|9|executor 'openai': config 'maxRetries' must be between 0 and 5, was '9'",
        "temperature|3|executor 'openai': config 'temperature' must be between 0.0 and 2.0, was '3'",
    })
    void anInvalidValueIsRefusedNamingTheKeyAndTheValue(String key, String value, String message) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> read(key, value == null ? "" : value));
        assertEquals(message, refused.getMessage());
    }

    @Test
    void aBaseUrlWithCredentialsIsRefusedWithoutQuotingThem() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> OpenAiSettings.from(new ExecutorConfig("openai", Map.of("baseUrl", "https://user:hunter2@llm.example/v1",
                        "model", "m", "apiKeyRequired", "false")), name -> null));
        assertFalse(refused.getMessage().contains("hunter2"), refused.getMessage());
        assertTrue(refused.getMessage().contains("must not carry credentials"), refused.getMessage());
    }
}
