/**
 * The {@code openai} executor plugin: each run is one chat-completions request (streamed by default) to
 * an OpenAI-compatible endpoint, with the session's recent messages as history
 * ({@link io.meerkat.executor.openai.Transcript}) and retries after a 429 or 5xx answer. Configuration
 * in {@link io.meerkat.executor.openai.OpenAiSettings}; the endpoint and the key's variable are the
 * operator's, the model and prompt the client's.
 *
 * <p>Owned by executor-plugins/openai; loaded by the plugin host. Thread rules: an executor is called by
 * its session's loop, one call at a time, and never blocks (the HTTP client is asynchronous); the
 * factory's executors share one {@link io.meerkat.executor.openai.ChatTransport} (one HTTP client, one
 * timer thread), which {@code close()} ends so the plugin's class loader can go. A run's stage is
 * decided exactly once, by the reply, the failure or a cancel; stream parsing is confined to one
 * subscriber. The API key never leaves {@link io.meerkat.executor.openai.ApiKey} except as a header.
 */
package io.meerkat.executor.openai;
