package io.meerkat.runtime.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meerkat.runtime.api.spi.RunProgressListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunEventTest {

    @Test
    void aCompletedRunCarriesWhatItsWaitersAreTold() {
        RunId run = RunId.random();
        assertEquals(new CompletionOutcome.CompletedWithoutResult(), new RunEvent.RunCompleted(run, List.of()).outcome());
        RunResult result = RunResult.of("hi");
        assertEquals(new CompletionOutcome.Completed(result),
                new RunEvent.RunCompleted(run, List.of(), new CompletionOutcome.Completed(result)).outcome());
        assertThrows(IllegalArgumentException.class,
                () -> new RunEvent.RunCompleted(run, List.of(), new CompletionOutcome.Abandoned("no")));
        assertThrows(IllegalArgumentException.class,
                () -> new RunEvent.RunCompleted(run, List.of(), new CompletionOutcome.RuntimeTerminated("no")));
        assertThrows(NullPointerException.class, () -> new RunEvent.RunCompleted(run, List.of(), null));
    }

    @Test
    void aProgressLambdaStillCompilesAndIgnoresDeltas() {
        List<String> progress = new ArrayList<>();
        RunProgressListener listener = (runId, message) -> progress.add(message);
        listener.onOutputDelta(RunId.random(), "ignored");
        listener.onProgress(RunId.random(), "kept");
        RunProgressListener.NONE.onOutputDelta(RunId.random(), "ignored");
        assertEquals(List.of("kept"), progress);
    }
}
