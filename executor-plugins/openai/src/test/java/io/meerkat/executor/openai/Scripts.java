package io.meerkat.executor.openai;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Ready-made {@link ScriptedServer.Script}s and chat-completion chunks for the tests. */
final class Scripts {

    static final String MODEL = "test-model-2024";

    private Scripts() {
    }

    /** A chunk whose first choice's delta carries {@code content}. */
    static String delta(String content) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + MODEL + "\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":" + quote(content) + "},\"finish_reason\":null}]}";
    }

    /** The chunk that ends the choice. */
    static String finish(String reason) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + MODEL + "\","
                + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"" + reason + "\"}]}";
    }

    /** The last chunk when {@code include_usage} is asked for: no choices, the usage. */
    static String usage(long prompt, long completion, long total) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + MODEL + "\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion
                + ",\"total_tokens\":" + total + "}}";
    }

    /** A complete streamed reply: the deltas, a stop, usage 11/7/18, {@code [DONE]}. */
    static ScriptedServer.Script reply(String... deltas) {
        return exchange -> {
            exchange.startStream();
            for (String delta : deltas) {
                exchange.event(delta(delta));
            }
            exchange.event(finish("stop"));
            exchange.event(usage(11, 7, 18));
            exchange.event("[DONE]");
            exchange.endStream();
        };
    }

    /** Writes {@code events} (raw event data) then ends the body cleanly. */
    static ScriptedServer.Script events(String... events) {
        return exchange -> {
            exchange.startStream();
            for (String event : events) {
                exchange.event(event);
            }
            exchange.endStream();
        };
    }

    /** A non-streamed answer. */
    static ScriptedServer.Script status(int status, Map<String, String> headers, String body) {
        return exchange -> exchange.respond(status, headers, body);
    }

    /** Streams the deltas, then stalls until the client goes away. */
    static final class Stall implements ScriptedServer.Script {
        final CompletableFuture<Void> reached = new CompletableFuture<>();
        final CompletableFuture<Void> clientGone = new CompletableFuture<>();
        private final List<String> deltas;
        private final boolean beforeHeaders;

        private Stall(List<String> deltas, boolean beforeHeaders) {
            this.deltas = deltas;
            this.beforeHeaders = beforeHeaders;
        }

        /** Stalls mid-stream, after these deltas. */
        static Stall afterDeltas(String... deltas) {
            return new Stall(List.of(deltas), false);
        }

        /** Stalls before sending any response header. */
        static Stall beforeHeaders() {
            return new Stall(List.of(), true);
        }

        @Override
        public void serve(ScriptedServer.Exchange exchange) throws java.io.IOException {
            if (!beforeHeaders) {
                exchange.startStream();
                for (String delta : deltas) {
                    exchange.event(delta(delta));
                }
            }
            exchange.stall(reached, clientGone);
        }
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
