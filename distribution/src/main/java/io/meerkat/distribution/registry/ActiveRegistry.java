package io.meerkat.distribution.registry;

/**
 * What the launcher shows about the completion registry in use ({@code GET /v1/completion-registry}).
 *
 * @param name           the implementation's short name ({@code in-memory}, {@code outcome-history}, ...)
 * @param implementation the implementation's class name
 * @param ranking        its OSGi {@code service.ranking}; {@link Integer#MIN_VALUE} for the built-in floor
 * @param bundle         the symbolic name of the bundle offering it, or {@code null} for the built-in floor
 * @param bundleId       the id of that bundle, or -1
 */
public record ActiveRegistry(String name, String implementation, int ranking, String bundle, long bundleId) {

    /** The registry the launcher falls back on when no bundle offers one. */
    public static ActiveRegistry builtIn(Object registry) {
        return new ActiveRegistry("built-in", registry.getClass().getName(), Integer.MIN_VALUE, null, -1);
    }

    /** A short label for logs. */
    public String label() {
        return bundle == null ? name : name + " (bundle " + bundle + ", ranking " + ranking + ")";
    }
}
