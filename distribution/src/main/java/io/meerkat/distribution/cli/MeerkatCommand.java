package io.meerkat.distribution.cli;

import io.meerkat.distribution.LauncherVersion;
import io.meerkat.distribution.config.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code meerkat}: the top command; {@code serve}, {@code demo}, {@code plugins}, {@code store} and {@code node} do the work. An error
 * prints one line ({@code meerkat: ...}) and exits 1; a wrong flag prints the usage and exits 2.
 */
@Command(name = "meerkat", mixinStandardHelpOptions = true, versionProvider = MeerkatCommand.Version.class,
        description = "Meerkat Runtime: runs AI-agent sessions with pluggable executors.",
        footer = {"", "bin/meerkat warm-up records the start-up class cache for this JVM (the build does it once)."},
        subcommands = {ServeCommand.class, DemoCommand.class, PluginsCommand.class, StoreCommand.class, NodeCommand.class,
                CommandLine.HelpCommand.class})
public final class MeerkatCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command line; returns the exit code. */
    public static int run(String[] args) {
        CommandLine commandLine = new CommandLine(new MeerkatCommand());
        commandLine.setExecutionExceptionHandler((exception, line, parseResult) -> {
            PrintWriter err = line.getErr();
            err.println("meerkat: " + oneLine(exception));
            err.flush();
            return 1;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The distribution folder: {@code -Dmeerkat.home} (set by {@code bin/meerkat}), else the working folder. */
    static Path home() {
        return Path.of(System.getProperty("meerkat.home", ".")).toAbsolutePath().normalize();
    }

    private static String oneLine(Throwable exception) {
        if (exception instanceof ConfigException) {
            return exception.getMessage();
        }
        Throwable cause = exception;
        while (cause.getMessage() == null && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    /** {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"meerkat " + LauncherVersion.version(),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
