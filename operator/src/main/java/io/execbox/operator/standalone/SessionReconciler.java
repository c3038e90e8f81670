package io.execbox.operator.standalone;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineOwner;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import io.execbox.machines.StreamKind;
import io.execbox.machines.io.OutputJournal;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.lifecycle.Action;
import io.execbox.operator.lifecycle.Lifecycle;
import io.execbox.operator.lifecycle.LifecyclePolicy;
import io.execbox.operator.lifecycle.SessionState;
import io.execbox.store.MachineRow;
import io.execbox.store.OutputChunk;
import io.execbox.store.SessionPatch;
import io.execbox.store.SessionRow;
import io.execbox.store.SessionWithMachine;
import io.execbox.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Reconciles one session row in standalone mode: locks it, observes its machine, asks {@link
 * Lifecycle#decide} for the next step, carries it out and records the result. Never sleeps: a step
 * that must wait sets the row's next reconcile time.
 */
public final class SessionReconciler {
  private static final Logger log = LoggerFactory.getLogger(SessionReconciler.class);

  private final Store store;
  private final MachineBackend backend;
  private final SessionIoHub hub;
  private final LifecyclePolicy policy;
  private final MachineDefaults defaults;
  private final ObjectMapper json;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Timer startLatency;
  private final String ioHolder;

  /**
   * @param ioHolder the address (host:port) at which this process serves attach clients, recorded
   *     on the sessions it starts so that other replicas forward their clients here; or null
   */
  public SessionReconciler(
      Store store,
      MachineBackend backend,
      SessionIoHub hub,
      LifecyclePolicy policy,
      MachineDefaults defaults,
      ObjectMapper json,
      Clock clock,
      MeterRegistry meters,
      String ioHolder) {
    this.store = store;
    this.ioHolder = ioHolder;
    this.backend = backend;
    this.hub = hub;
    this.policy = policy;
    this.defaults = defaults;
    this.json = json;
    this.clock = clock;
    this.meters = meters;
    this.startLatency =
        Timer.builder("execbox.session.start")
            .description("From create to the command running")
            .publishPercentileHistogram()
            .register(meters);
  }

  /** Reconciles the row if it is due and no other worker holds it. */
  public Mono<Void> reconcile(String id) {
    return reconcileAndRead(id).then();
  }

  /**
   * As {@link #reconcileAndRead(String)}, for a session whose machine belongs to {@code owner} (in
   * kubernetes mode, its Session resource): a machine this step creates is given that owner. It
   * travels in the subscriber's context, read where the {@link MachineSpec} is built.
   */
  public Mono<SessionWithMachine> reconcileAndRead(String id, MachineOwner owner) {
    return reconcileAndRead(id).contextWrite(c -> c.put(MachineOwner.class, owner));
  }

  /**
   * Reconciles the row if it is due and no other worker holds it, and returns it as the step left
   * it, with its machine's name; empty when no step was taken.
   */
  public Mono<SessionWithMachine> reconcileAndRead(String id) {
    return store
        .sessions()
        .withLocked(id, this::step)
        .onErrorResume(
            e -> {
              log.warn("session {}: reconcile failed, will retry: {}", id, e.toString());
              return store
                  .sessions()
                  .apply(id, SessionPatch.create().reconcileAt(clock.instant().plusSeconds(1)))
                  .onErrorResume(x -> Mono.empty())
                  .then(Mono.empty());
            });
  }

  private Mono<SessionWithMachine> step(SessionRow row, MachineRow machine) {
    return blocking(() -> backend.observe(row.id()))
        .flatMap(
            obs -> {
              if (machine == null && obs.ref() != null) {
                // a machine this session's row does not know (its creator stopped before it could
                // record it): record it now, so that its end and removal are recorded too
                MachineRow found =
                    new MachineRow(
                        row.id(),
                        backend.name(),
                        obs.ref().machineId(),
                        obs.ref().name(),
                        null,
                        null);
                return store
                    .sessions()
                    .saveMachine(found)
                    .then(Mono.defer(() -> decideAndExecute(row, found, obs)));
              }
              return decideAndExecute(row, machine, obs);
            })
        .onErrorResume(
            MachineException.class,
            e -> {
              countError(e.kind());
              Instant now = clock.instant();
              if (e.kind().permanent() && row.active()) {
                log.info("session {}: cannot run: {}", row.id(), e.getMessage());
                return Mono.just(failed(e.getMessage(), now));
              }
              log.warn("session {}: backend error: {}", row.id(), e.getMessage());
              return Mono.just(SessionPatch.create().reconcileAt(now.plusSeconds(1)));
            })
        .flatMap(patch -> store.sessions().applyAndRead(row.id(), patch));
  }

  private Mono<SessionPatch> decideAndExecute(SessionRow row, MachineRow machine, Observation obs) {
    Instant now = clock.instant();
    Action action = Lifecycle.decide(state(row, machine), obs, now, policy);
    log.debug("session {}: {} / {} → {}", row.id(), row.status(), obs.state(), action);
    return execute(row, machine, obs, action, now);
  }

  static SessionState state(SessionRow row, MachineRow machine) {
    return new SessionState(
        SessionPhase.fromWire(row.status()),
        row.createdAt(),
        row.deadlineAt(),
        row.startedAt(),
        row.exitCode(),
        row.stopRequestedAt(),
        row.termSentAt(),
        row.killRequestedAt(),
        row.createAttempts(),
        machine != null,
        machine != null && machine.destroyedAt() != null);
  }

  private Mono<SessionPatch> execute(
      SessionRow row, MachineRow machine, Observation obs, Action action, Instant now) {
    MachineRef ref = obs.ref();
    if (action instanceof Action.CreateMachine) {
      return create(row, now);
    } else if (action instanceof Action.StartMachine) {
      return blocking(() -> attachAndStart(ref))
          .map(
              after -> {
                SessionPatch p = running(row, after, clock.instant());
                // where the api replicas find this session's stdio: the stream this process holds
                return ioHolder == null ? p : p.ioHolder(ioHolder);
              });
    } else if (action instanceof Action.RecordRunning r) {
      return Mono.just(running(row, obs, r.startedAt()));
    } else if (action instanceof Action.SendTerm) {
      return blocking(() -> backend.stop(ref))
          .thenReturn(
              SessionPatch.create()
                  .termSentAt(now)
                  .reconcileAt(now.plus(shortest(policy.poll(), policy.stopGrace()))));
    } else if (action instanceof Action.Kill k) {
      log.info("session {}: killing ({})", row.id(), k.reason());
      return blocking(() -> backend.kill(ref))
          .thenReturn(SessionPatch.create().reconcileAt(now.plusMillis(200)));
    } else if (action instanceof Action.DeadlineKill) {
      log.info("session {}: deadline reached, killing", row.id());
      Mono<Void> kill = ref == null ? Mono.empty() : blocking(() -> backend.kill(ref));
      return kill.thenReturn(
          SessionPatch.create()
              .status(SessionPhase.KILLED.wire())
              .exitCode(Lifecycle.KILLED_EXIT_CODE)
              .reason("deadline exceeded")
              .endedAt(now)
              .reconcileAt(now.plusMillis(200)));
    } else if (action instanceof Action.RecordEnd e) {
      SessionPatch p = SessionPatch.create().exitCode(e.exitCode()).reconcileAt(now);
      if (!e.status().wire().equals(row.status())) {
        p.status(e.status().wire());
      }
      if (e.reason() != null) {
        p.reason(e.reason());
      }
      if (row.endedAt() == null) {
        Instant ended = obs.finishedAt() != null ? obs.finishedAt() : now;
        // runtimes with coarse clocks (the kubelet's whole seconds) never end it before it began
        p.endedAt(
            row.startedAt() != null && ended.isBefore(row.startedAt()) ? row.startedAt() : ended);
      }
      return Mono.just(p);
    } else if (action instanceof Action.Fail f) {
      log.info("session {}: failed: {}", row.id(), f.reason());
      return Mono.just(failed(f.reason(), now));
    } else if (action instanceof Action.ArchiveAndDestroy) {
      return archiveAndDestroy(row, obs, now);
    } else if (action instanceof Action.Done) {
      return finish(row, now);
    } else if (action instanceof Action.Wait w) {
      SessionPatch p = SessionPatch.create().reconcileAt(w.until());
      if (ref == null || obs.state() != MachineState.RUNNING) {
        return Mono.just(p);
      }
      // sample CPU time while the command runs: runtimes forget it once the command exits
      return blocking(() -> Optional.ofNullable(backend.cpuSeconds(ref)))
          .map(cpu -> cpu.isPresent() ? p.cpuSeconds(cpu.get()) : p);
    }
    return Mono.error(new IllegalStateException("unknown action " + action));
  }

  private Mono<SessionPatch> create(SessionRow row, Instant now) {
    return Mono.fromCallable(() -> json.readValue(row.specJson(), SessionSpec.class))
        .flatMap(
            spec ->
                Mono.deferContextual(
                    context -> {
                      MachineSpec ms =
                          new MachineSpec(
                              row.id(),
                              row.accountId(),
                              spec,
                              spec.getResources() != null
                                      && spec.getResources().getCpuMillis() != null
                                  ? spec.getResources().getCpuMillis()
                                  : defaults.cpuMillis(),
                              spec.getResources() != null
                                      && spec.getResources().getMemoryMB() != null
                                  ? spec.getResources().getMemoryMB()
                                  : defaults.memoryMB(),
                              row.deadlineAt(),
                              context.getOrDefault(MachineOwner.class, null));
                      return blocking(() -> backend.create(ms));
                    }))
        .flatMap(
            ref ->
                store
                    .sessions()
                    .saveMachine(
                        new MachineRow(
                            row.id(), backend.name(), ref.machineId(), ref.name(), null, null))
                    .then(
                        blocking(
                            () ->
                                backend.attachableOnCreate()
                                    ? attachAndStart(ref)
                                    : backend.observe(ref.sessionId()))))
        .map(
            obs -> {
              Instant started = clock.instant();
              if (obs.state() == MachineState.RUNNING || obs.state() == MachineState.EXITED) {
                return running(row, obs, started);
              }
              if (obs.state() == MachineState.STARTING) {
                // the runtime prepares it (a Pod being scheduled): its change event, or the poll,
                // brings the next step
                Instant next = started.plus(policy.poll());
                return SessionPatch.create()
                    .reconcileAt(next.isBefore(row.deadlineAt()) ? next : row.deadlineAt());
              }
              return SessionPatch.create().reconcileAt(started);
            })
        .onErrorResume(
            MachineException.class,
            e -> {
              countError(e.kind());
              if (e.kind().permanent()) {
                log.info("session {}: cannot create its machine: {}", row.id(), e.getMessage());
                return Mono.just(failed(e.getMessage(), now));
              }
              int attempts = row.createAttempts() + 1;
              log.warn(
                  "session {}: create attempt {} failed: {}", row.id(), attempts, e.getMessage());
              return Mono.just(
                  SessionPatch.create()
                      .createAttempts(attempts)
                      .reconcileAt(now.plusMillis(200L << Math.min(attempts, 6))));
            });
  }

  /**
   * Attaches before starting, so the journal holds every byte from the first, then starts the
   * command and lets clients' stdin flow; returns what the backend sees afterwards.
   */
  private Observation attachAndStart(MachineRef ref) {
    hub.attachBeforeStart(ref);
    Instant starting = clock.instant();
    backend.start(ref);
    hub.markStarted(ref.sessionId());
    return backend.observe(ref.sessionId()).startedNoLaterThan(starting);
  }

  /** The session cannot run: failed with the reason, looked at again now to clean up. */
  private static SessionPatch failed(String reason, Instant now) {
    return SessionPatch.create()
        .status(SessionPhase.FAILED.wire())
        .reason(reason)
        .endedAt(now)
        .reconcileAt(now);
  }

  private SessionPatch running(SessionRow row, Observation obs, Instant startedAt) {
    Instant now = clock.instant();
    SessionPatch p = SessionPatch.create();
    if (SessionPhase.PENDING.wire().equals(row.status())) {
      p.status(SessionPhase.RUNNING.wire());
    }
    if (row.startedAt() == null) {
      Instant at = obs.startedAt() != null ? obs.startedAt() : startedAt;
      p.startedAt(at);
      startLatency.record(Duration.between(row.createdAt(), at));
    }
    if (!obs.ports().isEmpty()) {
      p.networkJson(networkJson(obs.ports()));
    }
    Instant next = now.plus(policy.poll());
    return p.reconcileAt(next.isBefore(row.deadlineAt()) ? next : row.deadlineAt());
  }

  private String networkJson(List<PublishedPort> ports) {
    Map<String, Object> byPort = new LinkedHashMap<>();
    String host = null;
    for (PublishedPort p : ports) {
      host = p.host();
      byPort.put(
          String.valueOf(p.containerPort()),
          Map.of("hostPort", p.hostPort(), "url", "http://" + p.host() + ":" + p.hostPort()));
    }
    Map<String, Object> network = new LinkedHashMap<>();
    network.put("mode", "exposed");
    network.put("host", host);
    network.put("ports", byPort);
    try {
      return json.writeValueAsString(network);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Archives the output, destroys the machine and finishes the row; or, while the output of the
   * exited machine is still being read to its end, comes back a moment later.
   */
  private Mono<SessionPatch> archiveAndDestroy(SessionRow row, Observation obs, Instant now) {
    if (row.outputArchived()) {
      return destroy(row).then(finish(row, now));
    }
    return blocking(() -> Optional.ofNullable(endedOutput(row, obs)))
        .flatMap(
            j -> {
              if (j.isEmpty()) {
                return Mono.just(SessionPatch.create().reconcileAt(now.plusMillis(50)));
              }
              List<OutputChunk> chunks = new ArrayList<>();
              for (OutputJournal.Chunk c : j.get().retained()) {
                chunks.add(new OutputChunk(c.kind() == StreamKind.STDOUT ? 1 : 2, c.data()));
              }
              return store
                  .sessions()
                  .saveOutput(row.id(), chunks, j.get().dropped())
                  .then(destroy(row))
                  .then(finish(row, now));
            });
  }

  private Mono<Void> destroy(SessionRow row) {
    return blocking(() -> backend.destroy(row.id()))
        .then(store.sessions().markMachineDestroyed(row.id()))
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

  private Mono<SessionPatch> finish(SessionRow row, Instant now) {
    Instant ended = row.endedAt() != null ? row.endedAt() : now;
    double wall =
        row.startedAt() == null
            ? 0.0
            : Math.max(0, Duration.between(row.startedAt(), ended).toMillis() / 1000.0);
    return store
        .sessions()
        .recordUsage(row.id(), row.accountId(), wall, row.cpuSeconds(), ended)
        .thenReturn(SessionPatch.create().reconcileAt(null));
  }

  private void countError(MachineException.Kind kind) {
    Counter.builder("execbox.backend.errors")
        .description("Backend failures by kind")
        .tag("backend", backend.name())
        .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
        .register(meters)
        .increment();
  }

  private static Duration shortest(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static <T> Mono<T> blocking(Callable<T> c) {
    return Mono.fromCallable(c).subscribeOn(Schedulers.boundedElastic());
  }

  private static Mono<Void> blocking(Runnable r) {
    return Mono.<Void>fromRunnable(r).subscribeOn(Schedulers.boundedElastic());
  }
}
