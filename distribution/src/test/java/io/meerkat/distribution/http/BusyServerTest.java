package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.config.ConfigLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one client may take of the whole server (in process, with small limits): request bodies buffered
 * at once share one budget, event streams and waiting completion requests have caps below the connection
 * limit. Past each, a request is answered 503 {@code server_busy} with {@code Retry-After} at once, health
 * still answers, and what was taken is given back when the requests end.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BusyServerTest {

    private static final int BODY_BYTES = 4_000;
    /** Room for two of the bodies above, not three. */
    private static final int BUDGET = 10_000;
    private static final int MAX_STREAMS = 2;
    private static final int MAX_WAITING = 2;
    /** How long a held request is watched for an answer that must not come. */
    private static final int HELD_MS = 2_000;

    @TempDir
    static Path root;

    static Launcher launcher;
    static URI base;
    static ApiClient api;

    @BeforeAll
    static void start() {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        launcher = Launcher.start(distribution.config(Map.of(
                ConfigLoader.MAX_CONNECTIONS, "32",
                ConfigLoader.MIN_REQUEST_DATA_RATE, "0",
                ConfigLoader.MAX_BUFFERED_BODY_BYTES, Integer.toString(BUDGET),
                ConfigLoader.MAX_EVENT_STREAMS, Integer.toString(MAX_STREAMS),
                ConfigLoader.MAX_PENDING_COMPLETIONS, Integer.toString(MAX_WAITING))), true, step -> { });
        base = launcher.http().baseUri();
        api = new ApiClient(base);
    }

    @AfterAll
    static void stop() {
        if (launcher != null) {
            launcher.close();
        }
    }

    @Test
    void bodiesPastTheBufferBudgetAreAnswered503AndTheBudgetComesBack() throws Exception {
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                clients.add(sendAllButTheLastByte());
            }
            List<Socket> held = new ArrayList<>();
            List<String> refusals = new ArrayList<>();
            for (Socket client : clients) {
                String answer = answerWithin(client, HELD_MS);
                if (answer == null) {
                    held.add(client);
                } else {
                    refusals.add(answer);
                }
            }

            assertEquals(2, held.size(), "two bodies fit the budget, the others are refused: " + refusals);
            for (String refusal : refusals) {
                assertTrue(refusal.startsWith("HTTP/1.1 503 "), refusal);
                assertTrue(refusal.contains("\"code\":\"server_busy\""), refusal);
                assertTrue(refusal.toLowerCase().contains("retry-after: 1"), refusal);
                assertTrue(refusal.toLowerCase().contains("connection: close"), refusal);
            }
            assertEquals(200, api.get("/v1/health").status(), "health answers while the budget is taken");
            for (Socket client : held) {
                send(client, "}");
                String answer = answerWithin(client, 10_000);
                assertTrue(answer != null && answer.startsWith("HTTP/1.1 201 "), "a held body completes: " + answer);
            }
            for (int i = 0; i < 2; i++) {
                Socket client = sendAllButTheLastByte();
                clients.add(client);
                assertEquals(null, answerWithin(client, HELD_MS), "the budget was given back: the body is held");
            }
            assertEquals(2L * BODY_BYTES, launcher.http().bufferedBodyBytes());
            for (Socket client : clients) {
                client.close();
            }
            awaitNoBufferedBodies();
        } finally {
            for (Socket client : clients) {
                client.close();
            }
        }
    }

    @Test
    void aBodyDeclaredTooLargeToDrainIsAnswered413AtOnce() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 5_000);
            send(socket, "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:" + base.getPort()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + (100L << 20) + "\r\n\r\n{");
            String answer = answerWithin(socket, 5_000);

            assertTrue(answer != null && answer.startsWith("HTTP/1.1 413 "), "refused before the body: " + answer);
            assertTrue(answer.contains("\"code\":\"payload_too_large\""), answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), answer);
        }
    }

    @Test
    void eventStreamsPastTheCapAreAnswered503AndAnEndedStreamFreesItsSlot() throws Exception {
        List<String> sessions = new ArrayList<>();
        List<ApiClient.EventLines> streams = new ArrayList<>();
        try {
            for (int i = 0; i <= MAX_STREAMS; i++) {
                sessions.add(api.createSession("echo", "{}"));
            }
            for (int i = 0; i < MAX_STREAMS; i++) {
                ApiClient.EventLines stream = api.events(sessions.get(i));
                streams.add(stream);
                stream.awaitSubscribed(10);
            }

            ApiClient.EventLines refused = api.events(sessions.get(MAX_STREAMS));
            streams.add(refused);
            var answer = refused.response().get(10, TimeUnit.SECONDS);
            assertEquals(503, answer.statusCode());
            assertEquals("1", answer.headers().firstValue("Retry-After").orElse(null));
            refused.reading().get(10, TimeUnit.SECONDS);
            assertTrue(String.join("\n", refused.lines()).contains("\"code\":\"server_busy\""), refused.lines().toString());
            assertEquals(200, api.get("/v1/health").status(), "health answers while the streams are taken");

            assertEquals(200, api.delete("/v1/sessions/" + sessions.get(0)).status());
            streams.get(0).reading().get(10, TimeUnit.SECONDS);
            ApiClient.EventLines admitted = api.events(sessions.get(MAX_STREAMS));
            streams.add(admitted);
            admitted.awaitSubscribed(10);
        } finally {
            streams.forEach(ApiClient.EventLines::close);
            for (String session : sessions) {
                api.delete("/v1/sessions/" + session);
            }
        }
    }

    @Test
    void completionWaitsPastTheCapAreAnswered503AndAFinishedWaitFreesItsSlot() throws Exception {
        String session = api.createSession("echo", "{\"delayMs\":\"60000\"}");
        try {
            String input = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"slow\"}").text("inputId");
            String completion = "/v1/sessions/" + session + "/inputs/" + input + "/completion";
            List<CompletableFuture<ApiClient.Answer>> waiting = new ArrayList<>();
            for (int i = 0; i < MAX_WAITING; i++) {
                waiting.add(api.getAsync(completion + "?timeoutMs=3000"));
            }
            awaitWaitingCompletions(MAX_WAITING);
            ApiClient.Answer refused = api.get(completion + "?timeoutMs=3000");

            assertEquals("server_busy", refused.errorCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertEquals(200, api.get("/v1/health").status(), "health answers while the waits are taken");
            for (CompletableFuture<ApiClient.Answer> wait : waiting) {
                assertEquals(202, wait.get(20, TimeUnit.SECONDS).status(), "still pending at its timeout");
            }
            assertEquals(202, api.get(completion + "?timeoutMs=100").status(), "a finished wait freed its slot");
        } finally {
            api.delete("/v1/sessions/" + session);
        }
    }

    /** Waits (ten seconds at most) for the closed connections' bodies to be given back. */
    private static void awaitNoBufferedBodies() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (launcher.http().bufferedBodyBytes() != 0 && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20); // polling a counter the server changes as it sees the closes
        }
        assertEquals(0, launcher.http().bufferedBodyBytes(), "every buffered body is given back");
    }

    /** Waits (ten seconds at most) for the server to count {@code count} waiting completion requests. */
    private static void awaitWaitingCompletions(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (launcher.http().waitingCompletions() != count && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20); // polling a counter the server changes as the requests arrive
        }
        assertEquals(count, launcher.http().waitingCompletions(), "completion requests waiting");
    }

    /** A session-creating POST whose body arrives but for its last byte. */
    private static Socket sendAllButTheLastByte() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 5_000);
        String json = "{\"executor\":\"echo\"";
        String body = json + " ".repeat(BODY_BYTES - json.length() - 1);
        send(socket, "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:" + base.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + BODY_BYTES + "\r\n\r\n" + body);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** The answer's head and first bytes, or {@code null} if none starts within {@code millis}. */
    private static String answerWithin(Socket socket, int millis) throws IOException {
        socket.setSoTimeout(millis);
        byte[] buffer = new byte[2_048];
        try {
            int read = socket.getInputStream().read(buffer);
            if (read < 0) {
                return "closed";
            }
            // The rest of a short answer follows at once.
            socket.setSoTimeout(200);
            int more;
            StringBuilder answer = new StringBuilder(new String(buffer, 0, read, StandardCharsets.UTF_8));
            try {
                while ((more = socket.getInputStream().read(buffer)) > 0) {
                    answer.append(new String(buffer, 0, more, StandardCharsets.UTF_8));
                }
            } catch (SocketTimeoutException endOfWhatCame) {
                return answer.toString();
            }
            return answer.toString();
        } catch (SocketTimeoutException nothing) {
            return null;
        }
    }
}
