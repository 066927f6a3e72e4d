package io.meerkat.benchmarks;

import io.meerkat.benchmarks.plugin.BenchPlugins;
import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.config.HttpLimits;
import io.meerkat.distribution.config.LauncherConfig;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The HTTP path (issue 14): requests/s of {@code POST /v1/sessions/{id}/inputs} on the launcher's real HTTP
 * API against a trivial Jetty handler, both in the same JVM and run, on 127.0.0.1.
 *
 * <p>Servers, started once per trial: (a) the whole {@link Launcher} as {@code serve} starts it (embedded Felix
 * without registry bundles, so the built-in in-memory completion registry is active; one PF4J plugin written
 * by {@link BenchPlugins} whose executor completes every run at once; the {@code memory} store; default limits)
 * and one session of that plugin's kind, created over HTTP; (b) a Jetty {@code Server} whose only handler
 * reads the request body whole ({@code Content.Source.asByteArrayAsync}, no thread held while it arrives, as
 * the API reads bodies) and answers 202 with a fixed 71-byte JSON body (as long as the API's answer to a
 * submit). {@code HttpApi} does not expose its server set-up, so (b) <em>duplicates</em> it: the same
 * {@code QueuedThreadPool(64, 4)}, an {@code HttpConfiguration} without the server version header, one
 * {@code ServerConnector} on 127.0.0.1 with the launcher's idle timeout, the same {@code NetworkConnectionLimit},
 * the handler inside a {@code GracefulHandler}. It lacks only the API's JSON error handler, which no 2xx
 * answer reaches. A change to {@code HttpApi.start}'s server settings must be made here too.
 *
 * <p>Clients: each JMH thread is one client with a client object of its own, sending its requests back to
 * back, blocking for each answer, over a connection it keeps alive: {@code client} = {@code raw}, a blocking
 * socket per server speaking just enough HTTP/1.1 ({@link RawConnection}: the least a client can add, and the
 * figure to quote); {@code jetty}, Jetty's {@code HttpClient} (all threads' clients sharing one thread pool);
 * {@code jdk}, {@code java.net.http.HttpClient} forced to HTTP/1.1. The two library clients hand every
 * exchange to a selector thread and back, which on two cores costs more than the server's handling of a
 * trivial request. Every answer is checked: its status (202 or 200 as below; anything else fails the
 * iteration), and that it does not say {@code Connection: close} (a closed connection would make the score
 * measure connecting too). Client and servers share the machine's cores, so the client's own cost is part of
 * every score, the baseline's included: the slower the client, the closer the ratios come to 1.
 *
 * <p>Timed, per operation (score = operations/s over all threads):
 * <ul>
 *   <li>{@code trivialHandler}: one {@code POST} of the same JSON body to (b), answered 202;</li>
 *   <li>{@code submitInput}: one {@code POST /v1/sessions/{id}/inputs} of a small prompt, answered 202
 *       {@code {"inputId","outcome":"accepted"}}; the run it causes happens after the answer, concurrently;</li>
 *   <li>{@code submitInputWithCompletion}: that submit, then what a client does to learn the outcome,
 *       {@code GET /v1/sessions/{id}/inputs/{inputId}/completion?timeoutMs=10000} (the long-poll answers as
 *       soon as the run completes, or at once if it already has), answered 200 {@code "outcome":"completed"}:
 *       two HTTP round trips per operation;</li>
 *   <li>{@code submitInputAndWait}: the submit asking to wait for its completion,
 *       {@code POST /v1/sessions/{id}/inputs?waitMs=10000}, answered 200 with {@code "completion":{"outcome":"completed",...}}:
 *       the same outcome in one round trip.</li>
 * </ul>
 * All threads submit to the one session; inputs are prompts, each of which is a run of its own.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar HttpSubmitBenchmark -t 4 -p client=raw
 * java -jar benchmarks/target/benchmarks.jar HttpSubmitBenchmark -t 16
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// The path through Jetty, Jackson and the runtime is long: the compiler is still busy after 10 s at ~1 k requests/s.
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 2)
@Threads(4)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class HttpSubmitBenchmark {

    private static final byte[] PROMPT = "{\"kind\":\"prompt\",\"text\":\"please summarise the attached report in three sentences\"}"
            .getBytes(StandardCharsets.UTF_8);
    /** The trivial handler's answer: as long as the API's answer to a submit. */
    private static final byte[] TRIVIAL_ANSWER = "{\"inputId\":\"0195f3c1-0000-7000-8000-000000000000\",\"outcome\":\"accepted\"}"
            .getBytes(StandardCharsets.UTF_8);
    private static final String COMPLETION_WAIT = "/completion?timeoutMs=10000";
    private static final String INPUT_ID_FIELD = "\"inputId\":\"";

    /** Both servers and the session, for the trial. */
    @State(Scope.Benchmark)
    public static class Servers {
        @Param({"raw", "jetty", "jdk"})
        public String client;

        Path home;
        Launcher launcher;
        Server trivial;
        URI trivialUri;
        URI inputsUri;
        /** The submit that waits for its completion in the same request. */
        URI inputsAndWaitUri;
        /** The Jetty clients' shared threads ({@code client=jetty}). */
        QueuedThreadPool clientThreads;

        @Setup(Level.Trial)
        public void start() throws Exception {
            home = Files.createTempDirectory("meerkat-httpbench-");
            BenchPlugins.write(home.resolve("plugins"), 1);
            Files.createDirectories(home.resolve("bundles"));
            LauncherConfig config = ConfigLoader.load(home, null,
                    Map.of(ConfigLoader.PORT, "0", ConfigLoader.STORE, "memory"), Map.of());
            launcher = Launcher.start(config, true, step -> { });
            trivial = trivialServer(config);
            trivialUri = URI.create("http://127.0.0.1:" + ((ServerConnector) trivial.getConnectors()[0]).getLocalPort()
                    + "/trivial");
            URI api = launcher.http().baseUri();
            String created = send(HttpRequest.newBuilder(api.resolve("/v1/sessions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"executor\":\"bench-0\"}")).build(), 201);
            String id = field(created, "\"id\":\"");
            inputsUri = api.resolve("/v1/sessions/" + id + "/inputs");
            inputsAndWaitUri = URI.create(inputsUri + "?waitMs=10000");
            if (client.equals("jetty")) {
                clientThreads = new QueuedThreadPool(64, 4);
                clientThreads.setName("bench-http-client");
                clientThreads.start();
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws Exception {
            try {
                if (clientThreads != null) {
                    clientThreads.stop();
                }
                if (trivial != null) {
                    trivial.stop();
                }
            } finally {
                if (launcher != null) {
                    launcher.close();
                }
                TempFolders.delete(home);
            }
        }

        private static String send(HttpRequest request, int expected) throws IOException, InterruptedException {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expected) {
                throw new IllegalStateException(request.uri() + " answered " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        }
    }

    /**
     * The trivial server: the settings {@code HttpApi.start} gives its server, duplicated (it does not expose
     * them), around a handler that reads the body and answers 202 with {@link #TRIVIAL_ANSWER}.
     */
    static Server trivialServer(LauncherConfig config) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("trivial-http");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.bind());
        connector.setPort(0);
        HttpLimits limits = config.httpLimits();
        connector.setIdleTimeout(limits.idleTimeoutMs());
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        int maxBody = (int) config.maxBodyBytes();
        server.setHandler(new GracefulHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Source.asByteArrayAsync(request, maxBody).whenComplete((body, failure) -> {
                    if (failure != null) {
                        Response.writeError(request, response, callback, failure);
                        return;
                    }
                    response.setStatus(202);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                    response.write(true, ByteBuffer.wrap(TRIVIAL_ANSWER), callback);
                });
                return true;
            }
        }));
        server.setStopTimeout(5_000);
        server.start();
        return server;
    }

    /** One client: a keep-alive HTTP/1.1 connection to each server, used by one JMH thread. */
    @State(Scope.Thread)
    public static class Client {
        private HttpClient jdk;
        private org.eclipse.jetty.client.HttpClient jetty;
        private RawConnection rawTrivial;
        private RawConnection rawApi;
        private Servers servers;

        @Setup(Level.Trial)
        public void open(Servers servers) throws Exception {
            this.servers = servers;
            switch (servers.client) {
                case "jdk" -> jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                case "jetty" -> {
                    jetty = new org.eclipse.jetty.client.HttpClient();
                    jetty.setExecutor(servers.clientThreads);
                    jetty.start();
                }
                case "raw" -> {
                    rawTrivial = new RawConnection(servers.trivialUri);
                    rawApi = new RawConnection(servers.inputsUri);
                }
                default -> throw new IllegalArgumentException("client must be raw, jetty or jdk, was " + servers.client);
            }
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            if (jetty != null) {
                jetty.stop();
            }
            if (rawTrivial != null) {
                rawTrivial.close();
                rawApi.close();
            }
            // java.net.http.HttpClient has no close() before Java 21; its threads end once it is unreachable.
            jdk = null;
        }

        /** POSTs the JSON body; returns the answer's body once its status is {@code expected}. */
        String post(URI uri, byte[] body, int expected) throws Exception {
            if (rawApi != null) {
                return raw(uri).exchange("POST", uri, body, expected);
            }
            if (jdk != null) {
                return checked(uri, jdk.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()), expected);
            }
            return checked(uri, jetty.POST(uri).body(new BytesRequestContent("application/json", body)).send(), expected);
        }

        /** GETs; returns the answer's body once its status is {@code expected}. */
        String get(URI uri, int expected) throws Exception {
            if (rawApi != null) {
                return raw(uri).exchange("GET", uri, null, expected);
            }
            if (jdk != null) {
                return checked(uri, jdk.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString()),
                        expected);
            }
            return checked(uri, jetty.GET(uri), expected);
        }

        private RawConnection raw(URI uri) {
            return uri.getPort() == rawApi.port ? rawApi : rawTrivial;
        }

        private static String checked(URI uri, HttpResponse<String> response, int expected) {
            return checked(uri, response.statusCode(), response.headers().firstValue("Connection").orElse(null),
                    response.body(), expected);
        }

        private static String checked(URI uri, ContentResponse response, int expected) {
            return checked(uri, response.getStatus(), response.getHeaders().get(HttpHeader.CONNECTION),
                    response.getContentAsString(), expected);
        }

        static String checked(URI uri, int status, String connection, String body, int expected) {
            if (status != expected) {
                throw new IllegalStateException(uri + " answered " + status + " (expected " + expected + "): " + body);
            }
            if ("close".equalsIgnoreCase(connection)) {
                throw new IllegalStateException(uri + " closed the connection: " + body);
            }
            return body;
        }
    }

    /**
     * The least a client can do: one blocking socket (TCP_NODELAY) per server, each request written with one
     * {@code write}, the answer read by its {@code Content-Length} (an answer without one fails the run).
     */
    static final class RawConnection implements AutoCloseable {
        final int port;
        private final String host;
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final StringBuilder line = new StringBuilder(128);

        RawConnection(URI server) throws IOException {
            host = server.getHost();
            port = server.getPort();
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 8192);
        }

        String exchange(String method, URI uri, byte[] body, int expected) throws IOException {
            String target = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
            StringBuilder head = new StringBuilder(200).append(method).append(' ').append(target)
                    .append(" HTTP/1.1\r\nHost: ").append(host).append(':').append(port).append("\r\n");
            if (body != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] request = body == null ? headBytes : Arrays.copyOf(headBytes, headBytes.length + body.length);
            if (body != null) {
                System.arraycopy(body, 0, request, headBytes.length, body.length);
            }
            out.write(request);
            out.flush();

            String status = readLine();
            // "HTTP/1.1 202 Accepted"
            int code = Integer.parseInt(status.substring(9, 12));
            int length = -1;
            String connection = null;
            for (String header = readLine(); !header.isEmpty(); header = readLine()) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon);
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(header.substring(colon + 1).trim());
                } else if (name.equalsIgnoreCase("Connection")) {
                    connection = header.substring(colon + 1).trim();
                }
            }
            if (length < 0) {
                throw new IllegalStateException(uri + " answered " + code + " without a Content-Length");
            }
            byte[] content = in.readNBytes(length);
            if (content.length != length) {
                throw new IllegalStateException(uri + " closed the connection mid-answer");
            }
            return Client.checked(uri, code, connection, new String(content, StandardCharsets.UTF_8), expected);
        }

        private String readLine() throws IOException {
            line.setLength(0);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IllegalStateException("the server closed the connection to port " + port);
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Benchmark
    public String trivialHandler(Client client) throws Exception {
        return client.post(client.servers.trivialUri, PROMPT, 202);
    }

    @Benchmark
    public String submitInput(Client client) throws Exception {
        return client.post(client.servers.inputsUri, PROMPT, 202);
    }

    @Benchmark
    public String submitInputWithCompletion(Client client) throws Exception {
        String submitted = client.post(client.servers.inputsUri, PROMPT, 202);
        String inputId = field(submitted, INPUT_ID_FIELD);
        String outcome = client.get(URI.create(client.servers.inputsUri + "/" + inputId + COMPLETION_WAIT), 200);
        if (!outcome.contains("\"outcome\":\"completed\"")) {
            throw new IllegalStateException("input " + inputId + " did not complete: " + outcome);
        }
        return outcome;
    }

    @Benchmark
    public String submitInputAndWait(Client client) throws Exception {
        String answer = client.post(client.servers.inputsAndWaitUri, PROMPT, 200);
        if (!answer.contains("\"completion\":{\"outcome\":\"completed\"")) {
            throw new IllegalStateException("the input did not complete: " + answer);
        }
        return answer;
    }

    /** The string value following {@code prefix} (a JSON field name, its colon and opening quote). */
    static String field(String json, String prefix) {
        int start = json.indexOf(prefix);
        if (start < 0) {
            throw new IllegalStateException("no " + prefix + " in " + json);
        }
        start += prefix.length();
        return json.substring(start, json.indexOf('"', start));
    }

}
