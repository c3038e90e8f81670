package io.execbox.operator.step;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.StreamKind;
import io.execbox.machines.io.OutputJournal;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.store.OutputChunk;
import io.execbox.store.SessionPatch;
import io.execbox.store.SessionRow;
import io.execbox.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The end of a session: its output kept in PostgreSQL (for replay once the machine is gone), its
 * machine destroyed, its usage recorded, and its row left with nothing more to do.
 */
final class OutputArchiver {
  private static final Logger log = LoggerFactory.getLogger(OutputArchiver.class);

  /** How soon to look again while the output of an exited machine is still being read. */
  private static final Duration READING = Duration.ofMillis(50);

  private final Store store;
  private final MachineBackend backend;
  private final SessionIoHub hub;

  OutputArchiver(Store store, MachineBackend backend, SessionIoHub hub) {
    this.store = store;
    this.backend = backend;
    this.hub = hub;
  }

  /**
   * Archives the output, destroys the machine and finishes the row; or, while the output of the
   * exited machine is still being read to its end, comes back a moment later.
   */
  Mono<SessionPatch> archiveAndDestroy(SessionRow row, Observation obs, Instant now) {
    if (row.outputArchived()) {
      return destroy(row).then(finish(row, now));
    }
    return Blocking.call(() -> Optional.ofNullable(endedOutput(row, obs)))
        .flatMap(
            j -> {
              if (j.isEmpty()) {
                return Mono.just(SessionPatch.create().reconcileAt(now.plus(READING)));
              }
              List<OutputChunk> chunks = new ArrayList<>();
              for (OutputJournal.Chunk c : j.get().retained()) {
                chunks.add(new OutputChunk(c.kind() == StreamKind.STDOUT ? 1 : 2, c.data()));
              }
              return store
                  .outputs()
                  .save(row.id(), chunks, j.get().dropped())
                  .then(destroy(row))
                  .then(finish(row, now));
            });
  }

  private Mono<Void> destroy(SessionRow row) {
    return Blocking.run(() -> backend.destroy(row.id()))
        .then(store.machines().markDestroyed(row.id()))
        .then(Mono.fromRunnable(() -> hub.release(row.id())));
  }

  /**
   * The session's output once it has been read to its end and its exit code is known: the journal
   * this process holds, or a replay from the runtime (started here, read on a later pass). Null
   * while not yet complete. A machine whose command never started has no output.
   */
  private OutputJournal endedOutput(SessionRow row, Observation obs) {
    var held = hub.find(row.id());
    if (obs.state() != MachineState.EXITED || obs.ref() == null) {
      // never started, broken or gone: whatever was read is all there will be
      hub.drop(row.id());
      return held.map(s -> s.journal()).orElseGet(() -> new OutputJournal(hub.retentionBytes()));
    }
    if (held.isPresent()) {
      return held.get().journal().isFinished() ? held.get().journal() : null;
    }
    try {
      hub.replay(obs.ref());
    } catch (MachineException e) {
      log.warn("session {}: its output cannot be read back: {}", row.id(), e.getMessage());
      OutputJournal none = new OutputJournal(hub.retentionBytes());
      none.fail("the output could not be read back: " + e.getMessage());
      return none;
    }
    return null;
  }

  /** Records the usage (once) and leaves the row with nothing more to do. */
  Mono<SessionPatch> finish(SessionRow row, Instant now) {
    Instant ended = row.endedAt() != null ? row.endedAt() : now;
    double wall =
        row.startedAt() == null
            ? 0.0
            : Math.max(0, Duration.between(row.startedAt(), ended).toMillis() / 1000.0);
    return store
        .usage()
        .record(row.id(), row.accountId(), wall, row.cpuSeconds(), ended)
        .thenReturn(SessionPatch.create().reconcileAt(null));
  }
}
