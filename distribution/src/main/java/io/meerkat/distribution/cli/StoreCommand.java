package io.meerkat.distribution.cli;

import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.distribution.store.RuntimeStores;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreInfo;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code meerkat store}: looks at the runtime store a launcher keeps in its data folder. */
@Command(name = "store", mixinStandardHelpOptions = true, description = "Look at the runtime store.",
        subcommands = StoreCommand.Info.class)
final class StoreCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code meerkat store info}: what the store in the data folder holds (schema version, sessions, inputs
     * by state, size on disk); works on a stopped launcher's folder, and on a running one's (a snapshot).
     * Exits 1 with one line when there is no store there.
     */
    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print what the store in the data folder holds: schema version, sessions, inputs by state, size.")
    static final class Info implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        LauncherOptions options = new LauncherOptions();

        @Override
        public Integer call() {
            LauncherConfig config = options.load(Map.of());
            PrintWriter out = spec.commandLine().getOut();
            try (RuntimeStore store = RuntimeStores.openExisting(config)) {
                print(store.info(), out);
            }
            out.flush();
            return 0;
        }

        private static void print(StoreInfo info, PrintWriter out) {
            out.printf("store:          %s%n", info.provider());
            out.printf("location:       %s%n", info.location());
            out.printf("schema version: %d%n", info.schemaVersion());
            out.printf("sessions:       %d%n", info.sessions());
            out.printf("inputs:         %s%n", RuntimeStores.inputsByState(info));
            out.printf("size:           %s%n", info.sizeBytes() < 0 ? "unknown" : info.sizeBytes() + " bytes");
        }
    }
}
