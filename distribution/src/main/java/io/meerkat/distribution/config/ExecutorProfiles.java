package io.meerkat.distribution.config;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's executor profiles: named configurations a client picks when it creates a session,
 * declared in {@code conf/meerkat.properties} as
 * {@code meerkat.profile.<executor kind>.<profile name>.<config key>=<value>}, e.g.
 * {@code meerkat.profile.process.echo-agent.command=${meerkat.home}/examples/echo-agent.sh}.
 *
 * <p>A profile may set any key its executor declares, the operator-only ones included (the program
 * to run, an endpoint, the variable holding a key). A profile named {@value #DEFAULT} is used when a
 * client names none. Immutable.
 */
public final class ExecutorProfiles {

    /** The prefix of the profile keys in the launcher's configuration. */
    public static final String PREFIX = "meerkat.profile.";
    /** The profile a session gets when its client names none. */
    public static final String DEFAULT = "default";

    private static final Pattern KEY = Pattern.compile(
            Pattern.quote(PREFIX) + "([A-Za-z0-9][A-Za-z0-9_-]*)\\.([A-Za-z0-9][A-Za-z0-9_-]*)\\.(.+)");

    /** kind → profile name → key → value; sorted, so listings and messages are stable. */
    private final Map<String, Map<String, Map<String, String>>> profiles;

    private ExecutorProfiles(Map<String, Map<String, Map<String, String>>> profiles) {
        this.profiles = profiles;
    }

    /** No profiles. */
    public static ExecutorProfiles none() {
        return new ExecutorProfiles(Map.of());
    }

    /**
     * Reads every {@value #PREFIX} key of {@code values}; others are ignored.
     *
     * @throws ConfigException naming a profile key that does not read as kind, profile and config key
     */
    public static ExecutorProfiles from(Map<String, String> values) {
        Map<String, Map<String, Map<String, String>>> byKind = new TreeMap<>();
        values.forEach((property, value) -> {
            if (!property.startsWith(PREFIX)) {
                return;
            }
            Matcher matcher = KEY.matcher(property);
            if (!matcher.matches()) {
                throw new ConfigException("cannot read the profile setting '" + property + "': expected "
                        + PREFIX + "<executor kind>.<profile name>.<config key> (names of letters, digits, '-', '_')");
            }
            byKind.computeIfAbsent(matcher.group(1), kind -> new TreeMap<>())
                    .computeIfAbsent(matcher.group(2), name -> new TreeMap<>())
                    .put(matcher.group(3), value);
        });
        byKind.replaceAll((kind, named) -> {
            named.replaceAll((name, config) -> Collections.unmodifiableMap(config));
            return Collections.unmodifiableMap(named);
        });
        return new ExecutorProfiles(Collections.unmodifiableMap(byKind));
    }

    /** The executor kinds that have profiles. */
    public List<String> kinds() {
        return List.copyOf(profiles.keySet());
    }

    /** The names of {@code kind}'s profiles, sorted. */
    public List<String> names(String kind) {
        return List.copyOf(profiles.getOrDefault(kind, Map.of()).keySet());
    }

    /** The configuration of {@code kind}'s profile {@code name}, if declared. */
    public Optional<Map<String, String>> profile(String kind, String name) {
        return Optional.ofNullable(profiles.getOrDefault(kind, Map.of()).get(name));
    }
}
