package io.meerkat.executor.openai;

import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import tools.jackson.databind.ObjectMapper;

/**
 * Runs one session's turns against an OpenAI-compatible chat-completions endpoint.
 *
 * <p>A staged input becomes one streamed request whose messages are: the {@code systemPrompt} (if
 * set), the session's earlier messages (up to {@code maxHistoryMessages}), then the input's context
 * appends as system messages and its appends (user unless the append says assistant or system
 * notice). The result carries the streamed text and, as attributes, the model, the finish reason,
 * the token usage and the number of attempts. A completed run adds its messages and its reply to the
 * history; an immediate append only adds its message and completes without a result. A cancel or a
 * stop aborts the request in flight at once and completes the run's stage with a
 * {@link java.util.concurrent.CancellationException}.
 */
final class OpenAiExecutor implements CoreExecutor {

    private final OpenAiSettings settings;
    private final ChatTransport transport;
    private final ObjectMapper json;
    private final RunProgressListener progress;
    private final Transcript transcript;
    /** The latest run; written by apply, read by control and close (all on the session's loop). */
    private volatile ChatRun current;

    OpenAiExecutor(OpenAiSettings settings, ChatTransport transport, ObjectMapper json, RunProgressListener progress) {
        this.settings = settings;
        this.transport = transport;
        this.json = json;
        this.progress = progress;
        this.transcript = new Transcript(settings.maxHistoryMessages());
    }

    @Override
    public CompletionStage<CoreApplyOutput> apply(RunId runId, RunPrimitive primitive) {
        if (primitive instanceof RunPrimitive.ImmediateAppend immediate) {
            transcript.add(List.of(ChatMessage.of(immediate.append())));
            return CompletableFuture.completedFuture(CoreApplyOutput.withoutResult(runId, primitive));
        }
        if (primitive instanceof RunPrimitive.ImmediateContextAppend context) {
            transcript.add(List.of(ChatMessage.context(context.append())));
            return CompletableFuture.completedFuture(CoreApplyOutput.withoutResult(runId, primitive));
        }
        RunPrimitive.StagedInput staged = (RunPrimitive.StagedInput) primitive;
        List<ChatMessage> turn = new ArrayList<>();
        staged.contextAppends().stream().map(ChatMessage::context).forEach(turn::add);
        staged.appends().stream().map(ChatMessage::of).forEach(turn::add);
        if (turn.isEmpty()) {
            return CompletableFuture.completedFuture(CoreApplyOutput.withoutResult(runId, primitive));
        }
        List<ChatMessage> messages = new ArrayList<>();
        settings.systemPrompt().ifPresent(prompt -> messages.add(new ChatMessage(ChatMessage.SYSTEM, prompt)));
        messages.addAll(transcript.messages());
        messages.addAll(turn);
        HttpRequest request;
        try {
            request = ChatRequest.of(settings, messages, json);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        ChatRun run = new ChatRun(runId, primitive, request, settings, transport, json, progress, completion -> {
            List<ChatMessage> exchanged = new ArrayList<>(turn);
            exchanged.add(new ChatMessage(ChatMessage.ASSISTANT, completion.text()));
            transcript.add(exchanged);
        });
        current = run;
        return run.start();
    }

    @Override
    public CompletionStage<Void> control(RunControlCommand command) {
        try {
            cancelCurrent(command.reason());
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        cancelCurrent("executor closed");
    }

    private void cancelCurrent(String reason) {
        ChatRun run = current;
        if (run != null) {
            current = null;
            run.cancel(reason);
        }
    }
}
