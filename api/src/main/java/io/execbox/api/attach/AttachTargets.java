package io.execbox.api.attach;

import io.execbox.crds.ExitCodes;
import io.execbox.crds.SessionPhase;
import io.execbox.machines.BlockingPools;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.StreamKind;
import io.execbox.machines.io.OutputJournal;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.store.SessionRow;
import io.execbox.store.Store;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Finds what a client attaches to: the stream this process holds, the archive of a finished
 * session, the server process holding the session's stdio, or (when no process can be reached that
 * holds it) a replay of the machine's output from the runtime. A pending session is waited for.
 */
final class AttachTargets {
  private static final Logger log = LoggerFactory.getLogger(AttachTargets.class);
  private static final Duration RETRY = Duration.ofMillis(50);

  private final Store store;
  private final MachineBackend backend;
  private final SessionIoHub hub;
  private final AttachForwarder forwarder;

  AttachTargets(Store store, MachineBackend backend, SessionIoHub hub, AttachForwarder forwarder) {
    this.store = store;
    this.backend = backend;
    this.hub = hub;
    this.forwarder = forwarder;
  }

  /** Resolves the target, waiting while the session's machine is being made. */
  Mono<AttachTarget> resolve(String sessionId, AttachForwarder.Caller caller) {
    return resolve(sessionId, caller, 0);
  }

  /**
   * Resolves the target for a client that was sent the output before {@code resumeAt} already: a
   * holder it is forwarded to starts there.
   */
  Mono<AttachTarget> resolve(String sessionId, AttachForwarder.Caller caller, long resumeAt) {
    return Mono.defer(() -> attempt(sessionId, caller, resumeAt))
        .repeatWhenEmpty(
            repeats -> repeats.concatMap(n -> Mono.delay(RETRY)).take(Duration.ofMinutes(6)))
        .switchIfEmpty(
            Mono.error(new IllegalStateException("the session's machine did not appear in time")));
  }

  private Mono<AttachTarget> attempt(
      String sessionId, AttachForwarder.Caller caller, long resumeAt) {
    var held = hub.find(sessionId);
    if (held.isPresent()) {
      log.debug("attach {}: the stream held here", sessionId);
      return Mono.just(new AttachTarget(held.get().journal(), held.get()));
    }
    return store
        .sessions()
        .findById(sessionId)
        .flatMap(
            row -> {
              if (row.outputArchived()) {
                log.debug("attach {}: the archive", sessionId);
                return archived(row);
              }
              if (SessionPhase.PENDING.wire().equals(row.status())) {
                return Mono.empty();
              }
              if (forwarder.forwards(row.ioHolder(), caller)) {
                log.debug("attach {}: forwarded to {}", sessionId, row.ioHolder());
                return forwarder
                    .connect(row.ioHolder(), sessionId, resumeAt)
                    .map(AttachTarget::remote)
                    .onErrorResume(
                        AttachForwarder.Unreachable.class,
                        e -> {
                          // gone (a restarted operator, say): a replay here will do
                          log.info("attach {}: {}; replaying it here", sessionId, e.getMessage());
                          return replayed(row);
                        });
              }
              return replayed(row);
            });
  }

  private Mono<AttachTarget> replayed(SessionRow row) {
    return Mono.fromCallable(() -> replay(row))
        .subscribeOn(BlockingPools.ATTACH)
        .flatMap(t -> t == null ? Mono.empty() : Mono.just(t));
  }

  private AttachTarget replay(SessionRow row) {
    log.debug("attach {}: a replay from the runtime", row.id());
    Observation obs;
    try {
      obs = backend.observe(row.id());
    } catch (MachineException e) {
      return null;
    }
    if (obs.state() == MachineState.RUNNING || obs.state() == MachineState.EXITED) {
      MachineRef ref = obs.ref();
      var s = hub.replay(ref);
      return new AttachTarget(s.journal(), s);
    }
    if (obs.state() == MachineState.ABSENT && !row.active() && row.reconcileAt() == null) {
      // finished without a machine (never started, or failed): nothing to replay
      OutputJournal j = new OutputJournal(1);
      end(j, row);
      return new AttachTarget(j, null);
    }
    return null;
  }

  private Mono<AttachTarget> archived(SessionRow row) {
    return store
        .outputs()
        .load(row.id())
        .map(
            c ->
                new OutputJournal.Chunk(
                    0, c.stream() == 1 ? StreamKind.STDOUT : StreamKind.STDERR, c.data()))
        .collectList()
        .map(
            chunks -> {
              OutputJournal j =
                  OutputJournal.ofArchive(hub.retentionBytes(), row.outputDropped(), chunks);
              end(j, row);
              return new AttachTarget(j, null);
            });
  }

  private static void end(OutputJournal j, SessionRow row) {
    Integer code = exitCode(row);
    if (code != null) {
      j.complete(code);
    } else {
      j.fail("session " + row.status() + (row.reason() == null ? "" : ": " + row.reason()));
    }
  }

  /** The exit code a finished session reports (the contract's rule, {@link ExitCodes#reported}). */
  static Integer exitCode(SessionRow row) {
    return ExitCodes.reported(SessionPhase.fromWire(row.status()), row.exitCode());
  }
}
