package io.meerkat.distribution.http;

import java.util.ArrayList;
import java.util.List;

/**
 * One method and path template of the API, e.g. {@code GET /v1/sessions/{id}}; each {@code {name}}
 * matches one non-empty path segment. Matched segment by segment against the path as it is, in one walk
 * (every request is tried against the routes in turn).
 *
 * @param segments the template's segments; a path parameter's is {@code null}
 */
record Route(String method, String template, String[] segments, Endpoint endpoint, StreamEndpoint stream) {

    static Route of(String method, String template, Endpoint endpoint) {
        return new Route(method, template, segments(template), endpoint, null);
    }

    static Route streaming(String method, String template, StreamEndpoint stream) {
        return new Route(method, template, segments(template), null, stream);
    }

    /** The path parameters, in order, if the path matches; else {@code null}. */
    List<String> match(String path) {
        List<String> parameters = List.of();
        int start = 0;
        for (String segment : segments) {
            if (start >= path.length() || path.charAt(start) != '/') {
                return null;
            }
            int next = path.indexOf('/', start + 1);
            next = next < 0 ? path.length() : next;
            int length = next - start - 1;
            if (segment == null) {
                if (length == 0) {
                    return null;
                }
                parameters = parameters.isEmpty() ? new ArrayList<>(2) : parameters;
                parameters.add(path.substring(start + 1, next));
            } else if (length != segment.length() || !path.regionMatches(start + 1, segment, 0, length)) {
                return null;
            }
            start = next;
        }
        return start == path.length() ? List.copyOf(parameters) : null;
    }

    private static String[] segments(String template) {
        if (!template.startsWith("/")) {
            throw new IllegalArgumentException("a route template starts with '/': " + template);
        }
        String[] segments = template.substring(1).split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (segments[i].startsWith("{") && segments[i].endsWith("}")) {
                segments[i] = null;
            } else if (segments[i].isEmpty() || segments[i].contains("{")) {
                throw new IllegalArgumentException("malformed route template: " + template);
            }
        }
        return segments;
    }
}
