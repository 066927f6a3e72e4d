package io.meerkat.distribution.config;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Decides what configuration a session asked for over the API gets: the operator's profile, overlaid
 * with the client's own keys, each of which its executor must declare client-settable
 * ({@link ConfigKey.Owner#CLIENT}). An executor that declares operator keys runs only with a profile:
 * the one the client names, else the operator's {@value ExecutorProfiles#DEFAULT}; never on its
 * built-in defaults for those keys. A client therefore never chooses what runs on the host or where
 * credentials go (DESIGN §7, §11), unless the operator turned on
 * {@code meerkat.unsafe.client-operator-config}. Thread safe (immutable).
 */
public final class SessionConfigPolicy {

    private final ExecutorProfiles profiles;
    private final boolean clientMaySetOperatorKeys;

    public SessionConfigPolicy(ExecutorProfiles profiles, boolean clientMaySetOperatorKeys) {
        this.profiles = profiles;
        this.clientMaySetOperatorKeys = clientMaySetOperatorKeys;
    }

    public ExecutorProfiles profiles() {
        return profiles;
    }

    /** Whether clients may set operator-only keys ({@code meerkat.unsafe.client-operator-config}). */
    public boolean clientMaySetOperatorKeys() {
        return clientMaySetOperatorKeys;
    }

    /**
     * {@link #resolve}, plus the name of the profile applied under {@link ProfileBoundCatalog#PROFILE_KEY}:
     * the config a session is created with in a runtime whose catalog is a {@link ProfileBoundCatalog}, so
     * that it is built from that profile again when it is recovered.
     */
    public Map<String, String> resolveForSession(ExecutorFactory factory, String profile,
                                                 Map<String, String> clientConfig) {
        Map<String, String> config = resolve(factory, profile, clientConfig);
        String chosen = profile != null ? profile : ExecutorProfiles.DEFAULT;
        if (profiles.profile(factory.kind(), chosen).isPresent()) {
            config.put(ProfileBoundCatalog.PROFILE_KEY, chosen);
        }
        return config;
    }

    /**
     * The configuration of a new session of {@code factory}'s kind.
     *
     * @param profile      the profile the client named, or {@code null} for the kind's
     *                     {@value ExecutorProfiles#DEFAULT} profile (if any)
     * @param clientConfig the keys the client set
     * @throws IllegalArgumentException naming the profile or the key refused, and what is allowed
     */
    public Map<String, String> resolve(ExecutorFactory factory, String profile, Map<String, String> clientConfig) {
        String kind = factory.kind();
        Map<String, String> config = new HashMap<>();
        for (String key : new TreeMap<>(clientConfig).keySet()) {
            Optional<ConfigKey> declared = factory.configKey(key);
            if (declared.isEmpty()) {
                throw new IllegalArgumentException("executor '" + kind + "': unknown config key '" + key
                        + "'; keys a client may set: " + clientKeys(factory));
            }
            if (declared.get().owner() == ConfigKey.Owner.OPERATOR && !clientMaySetOperatorKeys) {
                throw new IllegalArgumentException("executor '" + kind + "': config '" + key + "' is set by the "
                        + "operator, in a profile; " + profilesOf(kind) + "; keys a client may set: " + clientKeys(factory));
            }
        }
        String chosen = profile != null ? profile : ExecutorProfiles.DEFAULT;
        Optional<Map<String, String>> profileConfig = profiles.profile(kind, chosen);
        if (profileConfig.isPresent()) {
            config.putAll(profileConfig.get());
        } else if (profile != null) {
            throw new IllegalArgumentException("executor '" + kind + "' has no profile '" + profile + "'; "
                    + profilesOf(kind));
        } else if (hasOperatorKeys(factory) && !clientMaySetOperatorKeys) {
            // Without a profile the executor would fall back to its built-in defaults for the operator's
            // keys (openai: api.openai.com with OPENAI_API_KEY), which no operator chose for this launcher.
            throw new IllegalArgumentException("executor '" + kind + "' runs only with a profile the operator "
                    + "declared; " + profilesOf(kind));
        }
        config.putAll(clientConfig);
        return config;
    }

    /**
     * Checks every profile whose executor is in {@code catalog}: a key the executor does not declare is a
     * mistake the operator must hear of before the launcher serves anything.
     *
     * @return one line per profile whose executor kind is not there (its plugin missing or broken)
     * @throws ConfigException naming the first profile key its executor does not declare
     */
    public List<String> check(ExecutorCatalog catalog) {
        List<String> warnings = new ArrayList<>();
        for (String kind : profiles.kinds()) {
            Optional<ExecutorFactory> factory = catalog.factory(kind);
            if (factory.isEmpty()) {
                warnings.add("profiles " + profiles.names(kind) + " are for executor '" + kind
                        + "', which no plugin provides");
                continue;
            }
            for (String name : profiles.names(kind)) {
                for (String key : profiles.profile(kind, name).orElseThrow().keySet()) {
                    if (factory.get().configKey(key).isEmpty()) {
                        throw new ConfigException(ExecutorProfiles.PREFIX + kind + "." + name + "." + key
                                + ": executor '" + kind + "' has no config key '" + key + "'; its keys: "
                                + factory.get().configKeys().stream().map(ConfigKey::name).toList());
                    }
                }
            }
        }
        return warnings;
    }

    private String profilesOf(String kind) {
        List<String> names = profiles.names(kind);
        return names.isEmpty() ? "the operator has configured none (conf/meerkat.properties)"
                : "pick one with \"profile\": " + names;
    }

    private static boolean hasOperatorKeys(ExecutorFactory factory) {
        return factory.configKeys().stream().anyMatch(key -> key.owner() == ConfigKey.Owner.OPERATOR);
    }

    private static List<String> clientKeys(ExecutorFactory factory) {
        return factory.configKeys().stream().filter(key -> key.owner() == ConfigKey.Owner.CLIENT)
                .map(ConfigKey::name).toList();
    }
}
