package io.meerkat.runtime.core.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.testing.ManualScheduler;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/**
 * The seed's delivery rules, against a mocked executor: a failed control delivery is only logged,
 * a stop still stops the session, and the executor sees its calls in the documented order.
 */
class ExecutorControlDeliveryTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final CoreExecutor executor = mock(CoreExecutor.class);
    private final ExecutorFactory factory = mock(ExecutorFactory.class);
    private MeerkatRuntime runtime;
    private SessionHandle session;

    @BeforeEach
    void start() {
        when(factory.kind()).thenReturn("mocked");
        when(factory.create(any())).thenReturn(executor);
        when(executor.apply(any(), any())).thenAnswer(call -> CompletableFuture.completedFuture(
                CoreApplyOutput.completed(call.getArgument(0, RunId.class), call.getArgument(1, RunPrimitive.class),
                        RunResult.of("ok"))));
        runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(factory)
                .completionRegistry(new InMemoryCompletionRegistry()).scheduler(scheduler).build();
        session = runtime.createSession(SessionSpec.of("mocked"));
    }

    @AfterEach
    void stop() {
        scheduler.autoRun();
        runtime.close();
    }

    @Test
    void aControlThatThrowsIsLoggedAndTheLoopGoesOn() {
        when(executor.control(any())).thenThrow(new IllegalStateException("executor is confused"));

        session.control(new RunControlCommand.CancelCurrentRun("first"));
        Submission submission = session.submit(Input.prompt("after the failed delivery"));
        scheduler.runAll();

        assertEquals(new CompletionOutcome.Completed(RunResult.of("ok")), submission.completion().join());
        assertEquals(RuntimeState.ATTACHED, session.state());
    }

    @Test
    void aStopWhoseDeliveryFailsStillStopsTheSessionAndClosesTheExecutor() {
        when(executor.control(any())).thenReturn(CompletableFuture.failedFuture(new IllegalStateException("gone")));
        Submission submission = session.submit(Input.prompt("queued"));

        session.control(new RunControlCommand.StopRuntimeExecutor("stop anyway"));
        scheduler.runAll();

        assertEquals(RuntimeState.STOPPED, session.state());
        assertEquals(new CompletionOutcome.RuntimeTerminated("runtime stopped"), submission.completion().join());
        verify(executor, never()).apply(any(), any());
        InOrder order = inOrder(executor);
        order.verify(executor).control(new RunControlCommand.StopRuntimeExecutor("stop anyway"));
        order.verify(executor, times(1)).close();
        order.verifyNoMoreInteractions();
    }
}
