package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Slow-upload denial of service against the packaged launcher as a process, with its shipped settings:
 * 200 clients each send a request's headers and then trickle its body a byte at a time. They must hold
 * no server thread (a health probe meanwhile answers fast) and be refused with 408 (or cut off) soon;
 * the server is healthy afterwards. Loopback only; bounded in clients and time.
 */
class SlowBodyIT {

    private static final int SLOW_CLIENTS = 200;
    private static final long TRICKLE_INTERVAL_MS = 500;
    private static final Duration PROBE_PERIOD = Duration.ofSeconds(8);
    private static final Duration PROBE_LIMIT = Duration.ofSeconds(2);
    private static final Duration SLOW_CLIENTS_DEADLINE = Duration.ofSeconds(30);

    /** One trickling client: its socket and what became of it (a status line, "closed", or null while open). */
    private static final class SlowClient {
        final Socket socket;
        String outcome;

        SlowClient(Socket socket) {
            this.socket = socket;
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void slowBodiesHoldNoThreadAndAreRefusedWith408() throws Exception {
        try (PackagedLauncher launcher = new PackagedLauncher()) {
            URI uri = launcher.serve(Map.of()).uri();
            ApiClient api = new ApiClient(uri);
            List<SlowClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    clients.add(openSlowUpload(uri));
                }
                CompletableFuture<Void> trickling = CompletableFuture.runAsync(() -> trickle(clients));

                List<Long> probeMillis = new ArrayList<>();
                List<String> probeFailures = new ArrayList<>();
                long probeEnd = System.nanoTime() + PROBE_PERIOD.toNanos();
                while (System.nanoTime() < probeEnd) {
                    long start = System.nanoTime();
                    try {
                        ApiClient.Answer health = api.send(api.request("/v1/health").timeout(PROBE_LIMIT).GET());
                        if (health.status() != 200) {
                            probeFailures.add("status " + health.status() + " " + health.body());
                        }
                    } catch (UncheckedIOException e) {
                        probeFailures.add(e.getCause().toString());
                    }
                    probeMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    TimeUnit.MILLISECONDS.sleep(100); // probe pacing, not synchronisation
                }
                trickling.get(SLOW_CLIENTS_DEADLINE.toSeconds() + 10, TimeUnit.SECONDS);

                long slowest = probeMillis.stream().mapToLong(Long::longValue).max().orElseThrow();
                assertTrue(probeFailures.isEmpty(), "health probes failed during the slow uploads: " + probeFailures);
                assertTrue(slowest < PROBE_LIMIT.toMillis(), "slowest health probe took " + slowest + " ms");
                Map<String, Integer> outcomes = new TreeMap<>();
                for (SlowClient client : clients) {
                    outcomes.merge(String.valueOf(client.outcome), 1, Integer::sum);
                }
                assertEquals(0, outcomes.getOrDefault("null", 0),
                        "every slow upload is refused or cut off within " + SLOW_CLIENTS_DEADLINE + ": " + outcomes);
                assertTrue(outcomes.keySet().stream().allMatch(o -> o.equals("closed") || o.contains(" 408 ")),
                        "slow uploads answer 408 or are closed: " + outcomes);
                assertTrue(outcomes.keySet().stream().anyMatch(o -> o.contains(" 408 ")),
                        "a client still listening is told 408: " + outcomes);
                assertEquals(200, api.get("/v1/health").status(), "the server is healthy afterwards");
                System.out.printf("slow uploads: %s; health probes: %d, slowest %d ms%n", outcomes, probeMillis.size(),
                        slowest);
            } finally {
                for (SlowClient client : clients) {
                    client.socket.close();
                }
            }
        }
    }

    /** Sends the headers of a POST whose 1000-byte body will trickle in. */
    private static SlowClient openSlowUpload(URI uri) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", uri.getPort()), 5_000);
        String headers = "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:" + uri.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
        socket.getOutputStream().write(headers.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return new SlowClient(socket);
    }

    /**
     * Every interval, each open client either has an answer to read (recorded) or sends one more body
     * byte (a failed write means the server closed it). Ends when all have an outcome or at the deadline.
     */
    private static void trickle(List<SlowClient> clients) {
        long deadline = System.nanoTime() + SLOW_CLIENTS_DEADLINE.toNanos();
        while (System.nanoTime() < deadline && clients.stream().anyMatch(c -> c.outcome == null)) {
            for (SlowClient client : clients) {
                if (client.outcome != null) {
                    continue;
                }
                try {
                    InputStream in = client.socket.getInputStream();
                    if (in.available() > 0) {
                        byte[] head = new byte[Math.min(in.available(), 64)];
                        int read = in.read(head);
                        String text = new String(head, 0, Math.max(read, 0), StandardCharsets.US_ASCII);
                        client.outcome = text.lines().findFirst().orElse("empty") + " ";
                        continue;
                    }
                    OutputStream out = client.socket.getOutputStream();
                    out.write(' ');
                    out.flush();
                } catch (IOException e) {
                    client.outcome = "closed";
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(TRICKLE_INTERVAL_MS); // the trickle's pace
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
