package io.meerkat.plugin.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The runtime's version as plugins see it in {@code Plugin-Requires}: {@code major.minor.patch}, no qualifier. */
final class RuntimeVersion {

    private RuntimeVersion() {
    }

    /** This build's version, e.g. {@code 0.1.0} for {@code 0.1.0-SNAPSHOT}. */
    static String current() {
        try (InputStream in = RuntimeVersion.class.getResourceAsStream("runtime-version.properties")) {
            if (in == null) {
                throw new IllegalStateException("runtime-version.properties is missing from the plugin host");
            }
            Properties properties = new Properties();
            properties.load(in);
            return withoutQualifier(properties.getProperty("version"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Drops a qualifier: a {@code 0.1.0-SNAPSHOT} build satisfies {@code >=0.1.0}, which semantic
     * versioning would otherwise refuse (a pre-release sorts before its release).
     */
    static String withoutQualifier(String version) {
        int dash = version.indexOf('-');
        return dash < 0 ? version : version.substring(0, dash);
    }
}
