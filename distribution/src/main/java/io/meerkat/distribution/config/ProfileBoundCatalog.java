package io.meerkat.distribution.config;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The executor catalog the launcher's runtime sees: the plugins' factories, each of which also reads the
 * name of the operator profile a session was created with ({@value #PROFILE_KEY}) and builds the session's
 * executor from that profile <em>as it is declared now</em>. This is what a session recovered from the store
 * runs with: the store keeps a session's config without its secret values, and keeps the operator's values
 * as they were; on recovery the operator keys and the secret values come again from the current
 * {@code conf/meerkat.properties}, the client's own keys from the store. A profile that is no longer declared
 * makes the executor fail to start, so the recovered session is listed {@code executor_unavailable} with its
 * inputs kept, and runs nothing the operator no longer declares.
 *
 * <p>{@value #PROFILE_KEY} is declared operator-only here and nowhere else: the plugins' own factories
 * (which the API checks a client's keys against, and {@code GET /v1/executors} lists) do not know it, so a
 * client can never set it; only {@link SessionConfigPolicy#resolve} puts it in a config.
 */
public final class ProfileBoundCatalog implements ExecutorCatalog {

    /** The config key holding the session's profile name; never handed to an executor. */
    public static final String PROFILE_KEY = "meerkat.profile";

    private static final ConfigKey DECLARED = ConfigKey.operator(PROFILE_KEY,
            "the operator profile the session was created with (set by the launcher)");

    private final ExecutorCatalog plugins;
    private final SessionConfigPolicy policy;
    /**
     * One wrapper per kind, for as long as its plugin factory stays the same: the runtime compares the
     * factory it created a session with to the one it looks up again ({@code ==}) to notice a withdrawal.
     */
    private final Map<String, Bound> bound = new ConcurrentHashMap<>();

    public ProfileBoundCatalog(ExecutorCatalog plugins, SessionConfigPolicy policy) {
        this.plugins = plugins;
        this.policy = policy;
        // Registered before the runtime's own listener: a withdrawn kind's factory (and with it its plugin's
        // class loader) is not held here once the plugin goes.
        plugins.addWithdrawalListener((kinds, reason) -> bound.keySet().removeAll(kinds));
    }

    @Override
    public Optional<ExecutorFactory> factory(String kind) {
        Optional<ExecutorFactory> current = plugins.factory(kind);
        if (current.isEmpty()) {
            bound.remove(kind);
            return Optional.empty();
        }
        ExecutorFactory delegate = current.get();
        return Optional.of(bound.compute(kind, (k, held) -> held != null && held.delegate == delegate ? held
                : new Bound(delegate)));
    }

    @Override
    public Set<String> kinds() {
        return plugins.kinds();
    }

    @Override
    public void addWithdrawalListener(WithdrawalListener listener) {
        plugins.addWithdrawalListener(listener);
    }

    /**
     * The config an executor gets: without {@value #PROFILE_KEY}; with it, the operator keys and secret
     * values from the named profile as declared now, the client's keys as given.
     *
     * @throws IllegalArgumentException if the named profile is no longer declared
     */
    Map<String, String> executorConfig(ExecutorFactory factory, Map<String, String> config) {
        String profileName = config.get(PROFILE_KEY);
        if (profileName == null) {
            return config;
        }
        String kind = factory.kind();
        Map<String, String> profile = policy.profiles().profile(kind, profileName).orElseThrow(() ->
                new IllegalArgumentException("executor '" + kind + "' has no profile '" + profileName
                        + "' any more (conf/meerkat.properties); the session was created with it"));
        Map<String, String> resolved = new HashMap<>();
        config.forEach((key, value) -> {
            if (key.equals(PROFILE_KEY)) {
                return;
            }
            boolean operatorKey = factory.configKey(key).map(k -> k.owner() == ConfigKey.Owner.OPERATOR).orElse(false);
            // An operator key comes from the profile only (a key it no longer sets is gone), unless the operator
            // let clients set such keys, in which case the client's choice was allowed and is kept.
            if (!operatorKey || policy.clientMaySetOperatorKeys()) {
                resolved.put(key, value);
            }
        });
        profile.forEach((key, value) -> {
            Optional<ConfigKey> declared = factory.configKey(key);
            boolean operatorKey = declared.map(k -> k.owner() == ConfigKey.Owner.OPERATOR).orElse(false);
            boolean secret = declared.map(ConfigKey::secret).orElse(false);
            if (operatorKey) {
                resolved.put(key, value);
            } else if (secret) {
                // The store dropped it; a client's own secret value is not kept, the profile's comes back.
                resolved.putIfAbsent(key, value);
            }
        });
        return resolved;
    }

    /** A plugin factory that also declares {@value #PROFILE_KEY} and resolves it before creating. */
    private final class Bound implements ExecutorFactory {
        final ExecutorFactory delegate;

        Bound(ExecutorFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public String kind() {
            return delegate.kind();
        }

        @Override
        public List<ConfigKey> configKeys() {
            List<ConfigKey> keys = new ArrayList<>(delegate.configKeys());
            keys.add(DECLARED);
            return keys;
        }

        @Override
        public Optional<ConfigKey> configKey(String key) {
            return key.equals(PROFILE_KEY) ? Optional.of(DECLARED) : delegate.configKey(key);
        }

        @Override
        public CoreExecutor create(ExecutorContext context) {
            return delegate.create(new ExecutorContext(context.sessionId(), context.kind(),
                    executorConfig(delegate, context.config()), context.blockingExecutor(), context.progress()));
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }
}
