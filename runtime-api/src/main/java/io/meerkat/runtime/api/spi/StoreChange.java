package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.SessionId;
import java.util.Objects;

/** One change in a {@link StoreBatch}. Every change names its session; a session is put before its inputs. */
public sealed interface StoreChange {

    SessionId sessionId();

    /** Creates the session, or replaces what is stored of it (its state changed). */
    record PutSession(StoredSession session) implements StoreChange {
        public PutSession {
            Objects.requireNonNull(session, "session");
        }

        @Override
        public SessionId sessionId() {
            return session.id();
        }
    }

    /** Forgets the session with everything stored under it: inputs, receipts, outcomes. */
    record RemoveSession(SessionId sessionId) implements StoreChange {
        public RemoveSession {
            Objects.requireNonNull(sessionId, "sessionId");
        }
    }

    /** Creates the input, or replaces what is stored of it (its state, lane, attempts or history changed). */
    record PutInput(StoredInput input) implements StoreChange {
        public PutInput {
            Objects.requireNonNull(input, "input");
        }

        @Override
        public SessionId sessionId() {
            return input.sessionId();
        }
    }

    /** Records that a run applied a boundary. */
    record PutReceipt(SessionId sessionId, RunBoundaryReceipt receipt) implements StoreChange {
        public PutReceipt {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(receipt, "receipt");
        }
    }

    /**
     * The lease of a session just created (after its {@link PutSession}), held by {@code nodeId} at epoch 1;
     * refused if the session already has one. Only a store that is a {@link ClusterStore} takes it.
     */
    record NewLease(SessionId sessionId, String nodeId) implements StoreChange {
        public NewLease {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(nodeId, "nodeId");
        }
    }

    /** The final outcome of a finished input, answered to waiters that come after a restart. */
    record PutOutcome(SessionId sessionId, InputId inputId, CompletionOutcome outcome) implements StoreChange {
        public PutOutcome {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(inputId, "inputId");
            Objects.requireNonNull(outcome, "outcome");
        }
    }
}
