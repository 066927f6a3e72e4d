package io.meerkat.executor.process;

import org.pf4j.Plugin;

/** The PF4J entry point of the process executor plugin; its only extension is {@link ProcessExecutorFactory}. */
public final class ProcessPlugin extends Plugin {
}
