package io.meerkat.executor.openai;

/**
 * Token counts the server reported for one completion (the {@code usage} object of the last
 * streamed chunk when {@code stream_options.include_usage} is honoured).
 *
 * @param promptTokens     tokens of the messages sent
 * @param completionTokens tokens of the reply
 * @param totalTokens      both together, as the server counts them
 */
record TokenUsage(long promptTokens, long completionTokens, long totalTokens) {
}
