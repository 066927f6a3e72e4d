package io.meerkat.distribution.cli;

import io.meerkat.distribution.config.ConfigLoader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code meerkat node}: acts on a running launcher that is a node of a cluster, over its HTTP API. */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Act on a running node of a cluster.",
        subcommands = NodeCommand.Drain.class)
final class NodeCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code meerkat node drain --url URL}: asks the node to hand its sessions to the others
     * ({@code POST /v1/node/drain}) and prints what it did once done; exits 0, or 1 with one line when the node
     * cannot be reached or refuses.
     */
    @Command(name = "drain", mixinStandardHelpOptions = true, description = "Hand a node's sessions to the other "
            + "nodes before stopping it: it takes no new run, lets the runs in flight finish (up to the deadline), then "
            + "lets its sessions go.")
    static final class Drain implements Callable<Integer> {

        /** How long past the deadline the answer may take: the release itself and the round trip. */
        private static final long ANSWER_MARGIN_MS = 30_000;
        private static final JsonMapper JSON = JsonMapper.builder().build();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--url", required = true, paramLabel = "URL", description = "The node's API, e.g. http://127.0.0.1:7878.")
        URI url;

        @Option(names = "--deadline-ms", paramLabel = "MS", description = "How long runs in flight may take to finish "
                + "before they are cut short, to run again on the next owner (default: 30000).")
        Long deadlineMs;

        @Option(names = "--token", paramLabel = "TOKEN", description = "The node's bearer token (or set MEERKAT_TOKEN).")
        String token;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String bearer = token != null ? token : System.getenv(ConfigLoader.TOKEN_ENVIRONMENT_VARIABLE);
            long deadline = deadlineMs == null ? 30_000 : deadlineMs;
            URI endpoint = URI.create(url.toString().replaceAll("/+$", "") + "/v1/node/drain");
            HttpClient client = new HttpClient();
            client.setConnectTimeout(10_000);
            client.start();
            try {
                var request = client.newRequest(endpoint).method(HttpMethod.POST)
                        .timeout(deadline + ANSWER_MARGIN_MS, TimeUnit.MILLISECONDS)
                        .body(new StringRequestContent("application/json",
                                deadlineMs == null ? "{}" : "{\"deadlineMs\":" + deadlineMs + "}", StandardCharsets.UTF_8));
                if (bearer != null && !bearer.isBlank()) {
                    request.headers(headers -> headers.put(HttpHeader.AUTHORIZATION, "Bearer " + bearer.trim()));
                }
                ContentResponse response;
                try {
                    response = request.send();
                } catch (ExecutionException | TimeoutException e) {
                    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                    err.println("meerkat: cannot drain the node at " + url + ": " + cause);
                    err.flush();
                    return 1;
                }
                JsonNode answer = parse(response.getContentAsString());
                if (response.getStatus() != 200) {
                    JsonNode error = answer.path("error");
                    err.println("meerkat: the node at " + url + " refused the drain: HTTP " + response.getStatus()
                            + (error.isMissingNode() ? "" : " " + error.path("code").asString() + ": "
                            + error.path("message").asString()));
                    err.flush();
                    return 1;
                }
                out.printf("node %s drained: %d session(s) released, %d run(s) cut short, in %d ms%n",
                        answer.path("node").asString(), answer.path("released").asInt(),
                        answer.path("cutShort").asInt(), answer.path("tookMs").asLong());
                out.flush();
                return 0;
            } finally {
                client.stop();
            }
        }

        private static JsonNode parse(String body) {
            try {
                return JSON.readTree(body);
            } catch (JacksonException e) {
                return JSON.missingNode();
            }
        }
    }
}
