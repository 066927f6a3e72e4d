package io.meerkat.distribution.osgi;

import org.osgi.framework.Bundle;

/**
 * One bundle as the launcher reports it.
 *
 * @param id           the bundle id, or -1 when the jar could not be installed
 * @param symbolicName the bundle's symbolic name, or the jar's file name when it could not be installed
 * @param version      the bundle version, or {@code null}
 * @param state        {@code INSTALLED}, {@code RESOLVED}, {@code STARTING}, {@code ACTIVE}, {@code STOPPING},
 *                     {@code UNINSTALLED} or {@code FAILED}
 * @param error        why it failed, or {@code null}
 */
public record BundleReport(long id, String symbolicName, String version, String state, String error) {

    static BundleReport of(Bundle bundle, String error) {
        return new BundleReport(bundle.getBundleId(), bundle.getSymbolicName(), bundle.getVersion().toString(),
                stateName(bundle.getState()), error);
    }

    private static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "UNKNOWN(" + state + ")";
        };
    }
}
