package io.meerkat.distribution.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small client for the API, as a user would drive it with {@link HttpClient}. */
public final class ApiClient {

    /** One answer: the status, the body parsed as JSON (missing node when not JSON) and the raw body. */
    public record Answer(int status, JsonNode json, String body, java.net.http.HttpHeaders headers) {
        public String text(String field) {
            return json.path(field).asString();
        }

        public String errorCode() {
            return json.path("error").path("code").asString();
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Reads event streams; a thread per open stream, on the client side only. */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "test-sse-reader");
        thread.setDaemon(true);
        return thread;
    });

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String token;

    public ApiClient(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    public ApiClient(URI base) {
        this(base, null);
    }

    public Answer get(String path) {
        return send(request(path).GET());
    }

    public Answer post(String path, String body) {
        return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Answer delete(String path) {
        return send(request(path).DELETE());
    }

    /** A GET answered asynchronously: for many requests in flight at once (long-polls, say). */
    public CompletableFuture<Answer> getAsync(String path) {
        return client.sendAsync(request(path).GET().build(), HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new Answer(response.statusCode(), parse(response.body()), response.body(), response.headers()));
    }

    /** A POST answered asynchronously: for a request that waits (a drain) while the test goes on. */
    public CompletableFuture<Answer> postAsync(String path, String body) {
        return client.sendAsync(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new Answer(response.statusCode(), parse(response.body()), response.body(), response.headers()));
    }

    public Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), parse(response.body()), response.body(), response.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends {@code GET target} over a plain socket, byte for byte, for targets {@link java.net.URI} refuses
     * (a malformed escape, say); returns the status and the body.
     */
    public Answer rawGet(String target) {
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            String request = "GET " + target + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Connection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int bodyStart = response.indexOf("\r\n\r\n");
            String body = bodyStart < 0 ? "" : response.substring(bodyStart + 4);
            return new Answer(status, parse(body), body, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    /** Creates a session and returns its id. */
    public String createSession(String executor, String configJson) {
        Answer created = post("/v1/sessions", "{\"executor\":\"" + executor + "\",\"config\":" + configJson + "}");
        if (created.status() != 201) {
            throw new AssertionError("creating a session answered " + created.status() + " " + created.body());
        }
        return created.text("id");
    }

    /** Opens a session's event stream; lines arrive in the returned queue as they are read. */
    public EventLines events(String sessionId) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<HttpResponse<Stream<String>>> response = client.sendAsync(
                request("/v1/sessions/" + sessionId + "/events").GET().build(), HttpResponse.BodyHandlers.ofLines());
        CompletableFuture<Void> reading = response.thenAcceptAsync(r -> r.body().forEach(lines::add), READERS);
        return new EventLines(response, reading, lines);
    }

    /** The lines of an event stream being read. */
    public record EventLines(CompletableFuture<HttpResponse<Stream<String>>> response, CompletableFuture<Void> reading,
                             BlockingQueue<String> lines) {

        /** The next line, waiting at most {@code seconds}. */
        public String next(long seconds) throws InterruptedException {
            String line = lines.poll(seconds, TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError("no event line within " + seconds + " s");
            }
            return line;
        }

        /** The next {@code data:} line's JSON. */
        public JsonNode nextEvent(long seconds) throws InterruptedException {
            while (true) {
                String line = next(seconds);
                if (line.startsWith("data: ")) {
                    return JSON.readTree(line.substring(6));
                }
            }
        }

        /**
         * The events read up to and including the next run's end ({@code run_completed}, {@code run_failed},
         * {@code run_cancelled} or {@code run_timed_out}), each at most {@code seconds} apart.
         */
        public List<JsonNode> untilRunEnds(long seconds) throws InterruptedException {
            List<JsonNode> events = new ArrayList<>();
            while (true) {
                JsonNode event = nextEvent(seconds);
                events.add(event);
                if (Set.of("run_completed", "run_failed", "run_cancelled", "run_timed_out").contains(event.path("type").asString())) {
                    return events;
                }
            }
        }

        /** Skips lines up to the {@code : subscribed} comment. */
        public void awaitSubscribed(long seconds) throws InterruptedException {
            while (!next(seconds).equals(": subscribed")) {
                Thread.onSpinWait();
            }
        }

        /** Stops reading: closing the body stream cancels the HTTP exchange. */
        public void close() {
            response.cancel(true);
            response.thenAccept(r -> r.body().close());
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (RuntimeException notJson) {
            return JSON.missingNode();
        }
    }
}
