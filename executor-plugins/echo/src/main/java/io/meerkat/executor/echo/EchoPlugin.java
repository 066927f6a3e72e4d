package io.meerkat.executor.echo;

import org.pf4j.Plugin;

/** The PF4J entry point of the echo executor plugin; its only extension is {@link EchoExecutorFactory}. */
public final class EchoPlugin extends Plugin {
}
