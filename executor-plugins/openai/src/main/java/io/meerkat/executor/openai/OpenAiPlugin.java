package io.meerkat.executor.openai;

import org.pf4j.Plugin;

/** The PF4J entry point of the openai executor plugin; its only extension is {@link OpenAiExecutorFactory}. */
public final class OpenAiPlugin extends Plugin {
}
