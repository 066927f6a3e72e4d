package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Path templates match whole segments, as the regular expressions they replaced did. */
class RouteTest {

    private static final Endpoint NONE = exchange -> CompletableFuture.completedFuture(null);
    private static final List<String> TEMPLATES = List.of("/v1/health", "/v1/sessions", "/v1/sessions/{id}",
            "/v1/sessions/{id}/inputs", "/v1/sessions/{id}/inputs/{inputId}",
            "/v1/sessions/{id}/inputs/{inputId}/completion", "/metrics");

    @Test
    void parametersAreTheSegmentsInOrder() {
        Route route = Route.of("GET", "/v1/sessions/{id}/inputs/{inputId}/completion", NONE);
        assertEquals(List.of("s1", "i-2"), route.match("/v1/sessions/s1/inputs/i-2/completion"));
        assertEquals(List.of(), Route.of("GET", "/v1/health", NONE).match("/v1/health"));
    }

    @Test
    void onlyWholePathsOfTheSameShapeMatch() {
        Route route = Route.of("GET", "/v1/sessions/{id}", NONE);
        for (String path : List.of("/v1/sessions", "/v1/sessions/", "/v1/sessions/a/", "/v1/sessions/a/b",
                "/v1/session/a", "/v1/sessionsX/a", "v1/sessions/a", "", "/", "//v1/sessions/a", "/v1//a")) {
            assertNull(route.match(path), path);
        }
        assertThrows(IllegalArgumentException.class, () -> Route.of("GET", "v1/x", NONE));
        assertThrows(IllegalArgumentException.class, () -> Route.of("GET", "/v1//x", NONE));
    }

    /** Random paths from the templates' own pieces and a few others: the same verdicts as the regular expressions. */
    @RepeatedTest(20)
    void agreesWithTheRegularExpressions() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> pieces = List.of("v1", "sessions", "inputs", "completion", "health", "metrics", "abc", "", "x{y}");
        for (int i = 0; i < 2_000; i++) {
            StringBuilder path = new StringBuilder();
            int segments = random.nextInt(7);
            for (int s = 0; s < segments; s++) {
                path.append('/').append(pieces.get(random.nextInt(pieces.size())));
            }
            for (String template : TEMPLATES) {
                Pattern regex = Pattern.compile(template.replaceAll("\\{[a-zA-Z]+}", "([^/]+)"));
                var matcher = regex.matcher(path);
                List<String> expected = null;
                if (matcher.matches()) {
                    String[] groups = new String[matcher.groupCount()];
                    for (int g = 0; g < groups.length; g++) {
                        groups[g] = matcher.group(g + 1);
                    }
                    expected = List.of(groups);
                }
                assertEquals(expected, Route.of("GET", template, NONE).match(path.toString()),
                        "seed " + seed + ": " + template + " against '" + path + "'");
            }
        }
    }
}
