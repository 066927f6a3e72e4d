package io.meerkat.plugin.host;

/** Turns a plugin's failure into one readable line for reports. */
final class Reasons {

    private Reasons() {
    }

    /** The failure and its root cause, e.g. {@code "IllegalStateException: boom"}. */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String top = oneLine(failure);
        return root == failure ? top : top + " (caused by " + oneLine(root) + ")";
    }

    private static String oneLine(Throwable failure) {
        String message = failure.getMessage();
        String text = failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
