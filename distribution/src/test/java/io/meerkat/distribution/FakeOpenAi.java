package io.meerkat.distribution;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A small OpenAI-compatible server on 127.0.0.1 for end-to-end tests of the packaged openai executor:
 * {@code POST /v1/chat/completions} answers with the last message's text prefixed by {@code "echo: "},
 * streamed as server-sent events (one chunk per word, its space included) or as one JSON body as the
 * request asks. The text decides the rest:
 * {@code "fail"} answers 500 with an error body that quotes the request's {@code Authorization}
 * header and runs long (as a careless upstream might); {@code "slow"} streams one chunk, then nothing
 * but keep-alive comments until the client goes away (so a test can see the connection closed).
 */
final class FakeOpenAi implements AutoCloseable {

    /** A request as received: its Authorization header and its JSON body. */
    record Received(String authorization, JsonNode body) {
    }

    private static final JsonMapper JSON = new JsonMapper();

    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    /** Counted down when a slow stream has sent its first chunk. */
    final CountDownLatch slowStreamStarted = new CountDownLatch(1);
    /** Counted down when the client of a slow stream closed the connection. */
    final CountDownLatch slowStreamClosedByClient = new CountDownLatch(1);
    private final CountDownLatch closing = new CountDownLatch(1);

    FakeOpenAi() throws Exception {
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                serve(request, response);
                callback.succeeded();
                return true;
            }
        });
        server.start();
    }

    /** The API root to configure as {@code baseUrl}. */
    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/v1");
    }

    /** The next request received, waiting up to 10 s. */
    Received nextRequest() throws InterruptedException {
        Received next = received.poll(10, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError("the fake OpenAI server received no request");
        }
        return next;
    }

    /** Forgets the requests received so far. */
    void forgetRequests() {
        received.clear();
    }

    private void serve(Request request, Response response) throws IOException, InterruptedException {
        if (!request.getMethod().equals("POST") || !Request.getPathInContext(request).equals("/v1/chat/completions")) {
            write(response, 404, "application/json", "{\"error\":{\"message\":\"no such endpoint\"}}");
            return;
        }
        JsonNode body = JSON.readTree(Content.Source.asString(request, StandardCharsets.UTF_8));
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        received.add(new Received(authorization, body));
        JsonNode messages = body.path("messages");
        String text = messages.get(messages.size() - 1).path("content").asString();
        String model = body.path("model").asString();
        switch (text) {
            case "fail" -> write(response, 500, "application/json", "{\"error\":{\"message\":\"upstream exploded; "
                    + "you sent Authorization: " + authorization + "\",\"padding\":\"" + "x".repeat(10_000) + "\"}}");
            case "slow" -> slowStream(response, model);
            default -> {
                String reply = "echo: " + text;
                if (body.path("stream").asBoolean(false)) {
                    stream(response, model, List.of(reply.split("(?<= )")));
                } else {
                    write(response, 200, "application/json", "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\""
                            + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                            + JSON.writeValueAsString(reply) + "},\"finish_reason\":\"stop\"}],"
                            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}");
                }
            }
        }
    }

    private static void stream(Response response, String model, List<String> pieces) throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            for (String piece : pieces) {
                out.write(chunk(model, piece, null));
                out.flush();
            }
            out.write(chunk(model, null, "stop"));
            out.write(("data: {\"model\":\"" + model + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
                    + "\"completion_tokens\":2,\"total_tokens\":5}}\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private void slowStream(Response response, String model) throws InterruptedException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(chunk(model, "thinking", null));
            out.flush();
            slowStreamStarted.countDown();
            // A keep-alive comment every 50 ms shows when the client has gone (the write fails); bounded
            // to 30 s, so a client that never goes away is the test's failure, not a hang.
            for (int i = 0; i < 600 && !closing.await(50, TimeUnit.MILLISECONDS); i++) {
                out.write(": still thinking\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException closedByClient) {
            slowStreamClosedByClient.countDown();
        }
    }

    private static byte[] chunk(String model, String content, String finishReason) {
        String delta = content == null ? "{}" : "{\"content\":" + JSON.writeValueAsString(content) + "}";
        return ("data: {\"object\":\"chat.completion.chunk\",\"model\":\"" + model + "\",\"choices\":[{\"index\":0,"
                + "\"delta\":" + delta + ",\"finish_reason\":" + (finishReason == null ? "null" : "\"" + finishReason + "\"")
                + "}]}\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void write(Response response, int status, String type, String body) throws IOException {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() throws Exception {
        closing.countDown();
        server.stop();
    }
}
