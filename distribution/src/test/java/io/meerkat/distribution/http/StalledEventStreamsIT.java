package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Memory as it ships, for event streams: clients that open a session's event stream and stop reading it
 * while the session streams large outputs (echo replies of 1 MB, as {@code output_delta} and
 * {@code run_completed} events). The packaged launcher under a 128 MiB heap keeps at most its event budget
 * for them and drops the rest (gaps in their sequence), so it stays alive and healthy, every run completes,
 * and a client that reads still gets the session's events. Bounded in runs and time; loopback only.
 */
class StalledEventStreamsIT {

    private static final int SESSIONS = 2;
    private static final int RUNS_PER_SESSION = 120;
    /** Four times this is the reply: 1 MB per run, streamed as one delta and carried by run_completed. */
    private static final String QUARTER = "q".repeat(250_000);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final PackagedLauncher launcher = new PackagedLauncher();
    private final List<Socket> stalled = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (Socket socket : stalled) {
            socket.close();
        }
        launcher.close();
    }

    @Test
    void streamsNobodyReadsHoldABoundedBacklogAndTheLauncherStaysHealthy() throws Exception {
        PackagedLauncher.Served served = launcher.serve(Map.of("JAVA_OPTS", "-Xmx128m"));
        ApiClient api = new ApiClient(served.uri());
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            String session = api.createSession("echo", "{\"template\":\"{text}{text}{text}{text}\"}");
            sessions.add(session);
            stalled.add(stalledStream(served.uri().getPort(), session));
        }

        List<CompletableFuture<Integer>> drivers = new ArrayList<>();
        for (String session : sessions) {
            drivers.add(CompletableFuture.supplyAsync(() -> drive(api, session)));
        }
        for (CompletableFuture<Integer> driver : drivers) {
            try {
                assertEquals(RUNS_PER_SESSION, driver.get(5, TimeUnit.MINUTES), "every run completed");
            } catch (ExecutionException e) {
                throw new AssertionError("the runs failed (" + e.getCause() + "); the launcher is "
                        + (served.process().isAlive() ? "alive" : "dead, exit code " + served.process().waitFor())
                        + "; its stderr ends with: " + tail(Files.readString(served.stderr())), e);
            }
        }

        assertTrue(served.process().isAlive(), Files.readString(served.stderr()));
        assertEquals(200, api.send(api.request("/v1/health").timeout(REQUEST_TIMEOUT).GET()).status());
        ApiClient.EventLines reading = api.events(sessions.get(0));
        try {
            reading.awaitSubscribed(10);
            api.post("/v1/sessions/" + sessions.get(0) + "/inputs", "{\"text\":\"still here\"}");
            List<JsonNode> run = reading.untilRunEnds(30);
            JsonNode completed = run.get(run.size() - 1);
            assertEquals("still here".repeat(4), completed.path("result").path("text").asString(), completed.toString());
        } finally {
            reading.close();
        }
    }

    private static String tail(String text) {
        return text.length() <= 2_000 ? text : text.substring(text.length() - 2_000);
    }

    /** Runs the session's inputs one after the other; returns how many completed. */
    private static int drive(ApiClient api, String session) {
        int completed = 0;
        for (int i = 0; i < RUNS_PER_SESSION; i++) {
            Answer submitted = api.send(api.request("/v1/sessions/" + session + "/inputs").timeout(REQUEST_TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + QUARTER + "\"}")));
            assertEquals(202, submitted.status(), submitted.body());
            Answer completion = api.send(api.request("/v1/sessions/" + session + "/inputs/" + submitted.text("inputId")
                    + "/completion?timeoutMs=20000").timeout(REQUEST_TIMEOUT).GET());
            assertEquals(200, completion.status(), completion.body());
            assertEquals("completed", completion.text("outcome"));
            completed++;
        }
        return completed;
    }

    /** Opens the session's event stream, reads up to {@code : subscribed}, and from then on reads nothing. */
    private static Socket stalledStream(int port, String session) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4_096);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(("GET /v1/sessions/" + session + "/events HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.indexOf(": subscribed") < 0) {
            int next = in.read();
            if (next < 0) {
                throw new AssertionError("the stream ended before it was subscribed: " + head);
            }
            head.append((char) next);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
        return socket;
    }
}
