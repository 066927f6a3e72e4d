package io.meerkat.distribution.http;

/**
 * A finished HTTP answer: a status and either a value written as JSON or a text body.
 *
 * @param status      the HTTP status
 * @param json        the value to write as JSON, or {@code null} when {@code text} is the body
 * @param text        a text body, or {@code null}
 * @param contentType the content type of {@code text}
 */
record Reply(int status, Object json, String text, String contentType) {

    static Reply ok(Object json) {
        return new Reply(200, json, null, null);
    }

    static Reply created(Object json) {
        return new Reply(201, json, null, null);
    }

    static Reply accepted(Object json) {
        return new Reply(202, json, null, null);
    }

    static Reply text(String contentType, String text) {
        return new Reply(200, null, text, contentType);
    }
}
