package io.meerkat.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The launcher's version, as Maven built it, and its OSGi form. */
public final class LauncherVersion {

    private static final String VERSION = read();

    private LauncherVersion() {
    }

    /** The version, e.g. {@code 0.1.0} or {@code 0.1.0-SNAPSHOT}. */
    public static String version() {
        return VERSION;
    }

    /** The version without a qualifier ({@code 0.1.0}), as OSGi package versions want it. */
    public static String osgiVersion() {
        int dash = VERSION.indexOf('-');
        return dash < 0 ? VERSION : VERSION.substring(0, dash);
    }

    private static String read() {
        try (InputStream in = LauncherVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the launcher jar");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
