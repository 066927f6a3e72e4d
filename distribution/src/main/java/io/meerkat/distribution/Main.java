package io.meerkat.distribution;

import io.meerkat.distribution.cli.MeerkatCommand;

/** {@code bin/meerkat}: runs the command line and exits with its code. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(MeerkatCommand.run(args));
    }
}
