package io.meerkat.distribution.http;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One method and path template of the API, e.g. {@code GET /v1/sessions/{id}}; each {@code {name}}
 * matches one path segment.
 */
record Route(String method, Pattern pattern, String template, Endpoint endpoint, StreamEndpoint stream) {

    static Route of(String method, String template, Endpoint endpoint) {
        return new Route(method, compile(template), template, endpoint, null);
    }

    static Route streaming(String method, String template, StreamEndpoint stream) {
        return new Route(method, compile(template), template, null, stream);
    }

    /** The path parameters, in order, if the path matches; else {@code null}. */
    List<String> match(String path) {
        Matcher matcher = pattern.matcher(path);
        if (!matcher.matches()) {
            return null;
        }
        String[] values = new String[matcher.groupCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = matcher.group(i + 1);
        }
        return List.of(values);
    }

    private static Pattern compile(String template) {
        return Pattern.compile(template.replaceAll("\\{[a-zA-Z]+}", "([^/]+)"));
    }
}
