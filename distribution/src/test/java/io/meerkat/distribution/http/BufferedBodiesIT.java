package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Half-sent bodies against the packaged launcher as a process, with its shipped settings under a 256 MiB
 * heap: 150 clients each send all but the last byte of a 1 MiB body and pause. Buffered whole, they would
 * need more heap than there is (the launcher used to die of an OutOfMemoryError); the launcher-wide body
 * budget holds some and answers the rest 503 {@code server_busy}, health answers throughout, and the
 * launcher is alive and healthy after. Loopback only; bounded in clients and time.
 */
class BufferedBodiesIT {

    private static final int CLIENTS = 150;
    private static final int BODY_BYTES = 1 << 20;
    private static final Duration PROBE_LIMIT = Duration.ofSeconds(5);

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void pausedNearlyWholeBodiesDoNotExhaustTheHeap() throws Exception {
        try (PackagedLauncher launcher = new PackagedLauncher()) {
            PackagedLauncher.Served served = launcher.serve(Map.of("JAVA_OPTS", "-Xmx256m"));
            URI uri = served.uri();
            ApiClient api = new ApiClient(uri);
            ExecutorService senders = Executors.newFixedThreadPool(16);
            List<Socket> sockets = new ArrayList<>();
            try {
                List<Future<String>> outcomes = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    Socket socket = new Socket();
                    sockets.add(socket);
                    outcomes.add(senders.submit(() -> sendAllButTheLastByteAndListen(socket, uri)));
                }
                Map<String, Integer> counts = new TreeMap<>();
                for (Future<String> outcome : outcomes) {
                    counts.merge(outcome.get(60, TimeUnit.SECONDS), 1, Integer::sum);
                }

                assertTrue(served.process().isAlive(), () -> "the launcher died (exit status "
                        + served.process().exitValue() + ", 3 is an OutOfMemoryError), outcomes " + counts + ": "
                        + stderr(served));
                ApiClient.Answer health = api.send(api.request("/v1/health").timeout(PROBE_LIMIT).GET());
                assertEquals(200, health.status(), "health answers while the bodies are held: " + counts);
                assertTrue(counts.getOrDefault("held", 0) > 0, "some bodies fit the budget: " + counts);
                assertTrue(counts.getOrDefault("503 server_busy", 0) > 0, "the rest are refused: " + counts);
                assertTrue(counts.keySet().stream().allMatch(o -> o.equals("held") || o.equals("503 server_busy")
                        || o.equals("closed")), "bodies are held, refused with 503 or cut off: " + counts);
                System.out.printf("150 paused 1 MiB bodies under -Xmx256m: %s%n", counts);
            } finally {
                senders.shutdownNow();
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            ApiClient.Answer after = api.send(api.request("/v1/health").timeout(PROBE_LIMIT).GET());
            assertEquals(200, after.status(), "healthy after the clients are gone");
            assertTrue(served.process().isAlive(), () -> stderr(served));
        }
    }

    private static String stderr(PackagedLauncher.Served served) {
        try {
            return Files.readString(served.stderr());
        } catch (IOException e) {
            return "(standard error unreadable: " + e + ")";
        }
    }

    /**
     * Sends the headers and all but the last byte of a 1 MiB body, then waits two seconds for an answer:
     * {@code held} if none came (the body is buffered), the status and error code if one did, {@code closed}
     * if the server cut the connection (a refusal that arrived while the body was still being written),
     * {@code connection refused} if the launcher is no longer there.
     */
    private static String sendAllButTheLastByteAndListen(Socket socket, URI uri) throws IOException {
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", uri.getPort()), 5_000);
        } catch (ConnectException gone) {
            return "connection refused";
        }
        String head = "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:" + uri.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + BODY_BYTES + "\r\n\r\n";
        byte[] body = new byte[BODY_BYTES - 1];
        java.util.Arrays.fill(body, (byte) ' ');
        body[0] = '{';
        try {
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
        } catch (IOException cutOff) {
            return readAnswer(socket).orElse("closed");
        }
        socket.setSoTimeout(2_000);
        try {
            return readAnswer(socket).orElse("closed");
        } catch (SocketTimeoutException nothing) {
            return "held";
        }
    }

    /** The status and error code of the answer, if one can be read. */
    private static java.util.Optional<String> readAnswer(Socket socket) throws SocketTimeoutException {
        try {
            InputStream in = socket.getInputStream();
            String answer = new String(in.readNBytes(1_024), StandardCharsets.UTF_8);
            if (!answer.startsWith("HTTP/1.1 ")) {
                return java.util.Optional.empty();
            }
            int code = answer.indexOf("\"code\":\"");
            String errorCode = code < 0 ? "" : answer.substring(code + 8, answer.indexOf('"', code + 8));
            return java.util.Optional.of(answer.substring(9, 12) + " " + errorCode);
        } catch (SocketTimeoutException timeout) {
            throw timeout;
        } catch (IOException reset) {
            return java.util.Optional.empty();
        }
    }
}
