package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP limits against slow and idle clients (in process, with short limits): a body that stops
 * arriving or trickles in is answered 408 {@code request_timeout} in the API's error shape, and the
 * connection limit holds further clients back until a connection closes. (The packaged launcher with
 * its shipped limits under 200 slow clients: {@code SlowBodyIT}.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowClientsTest {

    private static final long IDLE_TIMEOUT_MS = 1_000;
    private static final int MAX_CONNECTIONS = 4;

    @TempDir
    static Path root;

    static Launcher launcher;
    static URI base;

    @BeforeAll
    static void start() {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        launcher = Launcher.start(distribution.config(Map.of(
                ConfigLoader.IDLE_TIMEOUT_MS, Long.toString(IDLE_TIMEOUT_MS),
                ConfigLoader.MAX_CONNECTIONS, Integer.toString(MAX_CONNECTIONS),
                ConfigLoader.MAX_EVENT_STREAMS, "1", ConfigLoader.MAX_PENDING_COMPLETIONS, "1",
                ConfigLoader.MIN_REQUEST_DATA_RATE, "100")), true, step -> { });
        base = launcher.http().baseUri();
    }

    @AfterAll
    static void stop() {
        if (launcher != null) {
            launcher.close();
        }
    }

    @Test
    void aBodyThatStopsArrivingIsAnswered408() throws IOException {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:" + base.getPort()
                    + "\r\nContent-Length: 100\r\n\r\n{\"executor\":");
            String answer = readAll(socket);

            assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
            assertTrue(answer.toLowerCase().contains("connection: close"), answer);
            assertEquals("request_timeout", errorCode(answer), answer);
        }
    }

    @Test
    void aBodyThatTricklesInSlowerThanTheMinimumRateIsAnswered408() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:" + base.getPort()
                    + "\r\nContent-Length: 100\r\n\r\n{");
            InputStream in = socket.getInputStream();
            long start = System.nanoTime();
            // Well inside the idle timeout each time, so only the data rate can end it.
            while (in.available() == 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
                send(socket, " ");
                TimeUnit.MILLISECONDS.sleep(IDLE_TIMEOUT_MS / 4); // the trickle's pace
            }
            String answer = readAll(socket);

            assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
            assertEquals("request_timeout", errorCode(answer), answer);
            assertTrue(answer.contains("slower than 100 bytes/s"), answer);
        }
    }

    @Test
    void aBodyThatArrivesFastAndThenDripsIsAnswered408WithinAWindow() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:" + base.getPort()
                    + "\r\nContent-Length: 10000\r\n\r\n{" + " ".repeat(8_999));
            InputStream in = socket.getInputStream();
            long start = System.nanoTime();
            // A byte per quarter idle timeout: the connection never idles, and the average since the start
            // stays above 100 bytes/s for 90 s; only the rate over the latest window can end it.
            while (in.available() == 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
                send(socket, " ");
                TimeUnit.MILLISECONDS.sleep(IDLE_TIMEOUT_MS / 4); // the drip's pace
            }
            long answeredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            String answer = readAll(socket);

            assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
            assertEquals("request_timeout", errorCode(answer), answer);
            // Two windows by design, plus room for a loaded machine; the average alone would take 90 s.
            assertTrue(answeredMs < 5 * IDLE_TIMEOUT_MS, "answered after " + answeredMs + " ms");
        }
    }

    @Test
    void pastTheConnectionLimitAClientWaitsUntilAConnectionCloses() throws IOException {
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                idle.add(connect());
            }
            long start = System.nanoTime();
            ApiClient.Answer health = new ApiClient(base).get("/v1/health");
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertEquals(200, health.status());
            assertTrue(waitedMs >= IDLE_TIMEOUT_MS / 2,
                    "served only once the idle connections were closed, after " + waitedMs + " ms");
            for (Socket socket : idle) {
                assertEquals(-1, socket.getInputStream().read(), "the idle connection was closed");
            }
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", base.getPort()), 5_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    private static String readAll(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String errorCode(String answer) {
        JsonNode json = JsonMapper.builder().build().readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        return json.path("error").path("code").asString();
    }
}
