package io.meerkat.executor.process;

/**
 * Why an agent program failed a run: it could not be started, crashed or exited without a result,
 * broke the protocol, or reported an error. The message is meant for people: it names the program
 * and quotes what it did (exit code, stderr tail, a snippet of the offending line).
 */
public final class AgentProgramException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    AgentProgramException(String message) {
        super(message);
    }

    AgentProgramException(String message, Throwable cause) {
        super(message, cause);
    }
}
