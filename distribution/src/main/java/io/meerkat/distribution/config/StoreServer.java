package io.meerkat.distribution.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a store on a database server ({@code --store postgres}) lives: its JDBC URL and, unless the URL
 * carries them, the user and password. The password comes from {@code meerkat.store.password} or the
 * environment variable {@value ConfigLoader#STORE_PASSWORD_ENVIRONMENT_VARIABLE}; there is no flag for it,
 * which would show it in the process list. {@link #toString()} never shows it.
 *
 * @param url      {@code jdbc:postgresql://host:port/database}, or {@code null} when none is configured
 * @param user     the user, or {@code null} for the URL's
 * @param password the password, or {@code null} for the URL's
 */
public record StoreServer(String url, String user, String password) {

    public StoreServer {
        url = blankToNull(url);
        user = blankToNull(user);
        password = blankToNull(password);
    }

    /** The settings of the {@code postgres} store provider. */
    public Map<String, String> providerSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("url", url);
        if (user != null) {
            settings.put("user", user);
        }
        if (password != null) {
            settings.put("password", password);
        }
        return settings;
    }

    @Override
    public String toString() {
        return "StoreServer[url=" + (url == null ? null : redact(url)) + ", user=" + user
                + ", password=" + (password == null ? "none" : "***") + "]";
    }

    /** The URL without a password, whether a {@code password=} parameter or in {@code user:password@}. */
    public static String redact(String url) {
        return url.replaceAll("(?i)([?&;]password=)[^&;]*", "$1***").replaceFirst("//([^/@:]*):[^/@]*@", "//$1:***@");
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
