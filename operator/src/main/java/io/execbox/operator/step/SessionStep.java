package io.execbox.operator.step;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.crds.ExitCodes;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineOwner;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.lifecycle.Action;
import io.execbox.operator.lifecycle.Lifecycle;
import io.execbox.operator.lifecycle.LifecyclePolicy;
import io.execbox.operator.lifecycle.SessionState;
import io.execbox.store.MachineRow;
import io.execbox.store.SessionPatch;
import io.execbox.store.SessionRow;
import io.execbox.store.SessionWithMachine;
import io.execbox.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The step engine of both control modes: locks a session's row, observes its machine, asks {@link
 * Lifecycle#decide} for the next step, carries it out and records the result. Standalone mode's
 * loop and kubernetes mode's reconciler both call {@link #run}; each handles a failing step its own
 * way (the loop backs off on the row, JOSDK retries with backoff). Never sleeps: a step that must
 * wait sets the row's next reconcile time.
 */
public final class SessionStep {
  private static final Logger log = LoggerFactory.getLogger(SessionStep.class);

  private final Store store;
  private final MachineBackend backend;
  private final SessionIoHub hub;
  private final LifecyclePolicy policy;
  private final MachineDefaults defaults;
  private final ObjectMapper json;
  private final Clock clock;
  private final MeterRegistry meters;
  private final StepPatches patches;
  private final OutputArchiver archiver;
  private final String ioHolder;

  /**
   * @param ioHolder the address (host:port) at which this process serves attach clients, recorded
   *     on the sessions it starts so that other replicas forward their clients here; or null
   */
  public SessionStep(
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
    this.backend = backend;
    this.hub = hub;
    this.policy = policy;
    this.defaults = defaults;
    this.json = json;
    this.clock = clock;
    this.meters = meters;
    this.ioHolder = ioHolder;
    this.patches = new StepPatches(json, clock, policy.poll(), meters);
    this.archiver = new OutputArchiver(store, backend, hub);
  }

  /**
   * Takes the session's next step if it is due and no other worker holds it, and returns the row as
   * the step left it, with its machine's name; empty when no step was taken. A backend that refuses
   * for good fails the session (a decision, not an error); any other failure — the database, a
   * backend error that may pass — ends the Mono with that error, nothing written.
   */
  public Mono<SessionWithMachine> run(String id) {
    return run(id, null);
  }

  /**
   * As {@link #run(String)}, for a session whose machine belongs to {@code owner} (in kubernetes
   * mode, its Session resource): a machine this step creates is given that owner.
   */
  public Mono<SessionWithMachine> run(String id, MachineOwner owner) {
    return store.sessions().withLocked(id, (row, machine) -> step(row, machine, owner));
  }

  private Mono<SessionWithMachine> step(SessionRow row, MachineRow machine, MachineOwner owner) {
    return Blocking.call(() -> backend.observe(row.id()))
        .flatMap(
            obs -> {
              if (machine == null && obs.ref() != null) {
                // a machine this session's row does not know (its creator stopped before it could
                // record it): record it now, so that its end and removal are recorded too
                MachineRow found = machineRow(row.id(), obs.ref());
                return store
                    .machines()
                    .save(found)
                    .then(Mono.defer(() -> decideAndExecute(row, found, obs, owner)));
              }
              return decideAndExecute(row, machine, obs, owner);
            })
        .onErrorResume(
            e -> e instanceof MachineException m && m.kind().permanent() && row.active(),
            e -> {
              countError(((MachineException) e).kind());
              log.info("session {}: cannot run: {}", row.id(), e.getMessage());
              return Mono.just(StepPatches.failed(e.getMessage(), clock.instant()));
            })
        .doOnError(MachineException.class, e -> countError(e.kind()))
        .flatMap(patch -> store.sessions().applyAndRead(row.id(), patch));
  }

  private MachineRow machineRow(String sessionId, MachineRef ref) {
    return new MachineRow(sessionId, backend.name(), ref.machineId(), ref.name(), null, null);
  }

  private Mono<SessionPatch> decideAndExecute(
      SessionRow row, MachineRow machine, Observation obs, MachineOwner owner) {
    Instant now = clock.instant();
    Action action = Lifecycle.decide(state(row, machine), obs, now, policy);
    log.debug("session {}: {} / {} → {}", row.id(), row.status(), obs.state(), action);
    if (action instanceof Action.CreateMachine) {
      return create(row, now, owner);
    }
    return execute(row, obs, action, now);
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

  private Mono<SessionPatch> execute(SessionRow row, Observation obs, Action action, Instant now) {
    MachineRef ref = obs.ref();
    if (action instanceof Action.StartMachine) {
      return Blocking.call(() -> attachAndStart(ref))
          .map(after -> started(patches.running(row, after, clock.instant())));
    } else if (action instanceof Action.RecordRunning r) {
      return Mono.just(patches.running(row, obs, r.startedAt()));
    } else if (action instanceof Action.SendTerm) {
      // taken over first where it can be: the signal then goes through the agent, whose exit
      // report carries the command's code (a Pod deleted instead would take it along)
      SessionPatch p =
          SessionPatch.create()
              .termSentAt(now)
              .reconcileAt(now.plus(shortest(policy.poll(), policy.stopGrace())));
      return takeOver(row, obs, p)
          .flatMap(q -> Blocking.run(() -> backend.stop(ref)).thenReturn(q));
    } else if (action instanceof Action.Kill k) {
      log.info("session {}: killing ({})", row.id(), k.reason());
      SessionPatch p = SessionPatch.create().reconcileAt(now.plusMillis(200));
      return takeOver(row, obs, p)
          .flatMap(q -> Blocking.run(() -> backend.kill(ref)).thenReturn(q));
    } else if (action instanceof Action.DeadlineKill) {
      log.info("session {}: deadline reached, killing", row.id());
      Mono<Void> kill = ref == null ? Mono.empty() : Blocking.run(() -> backend.kill(ref));
      return kill.thenReturn(
          SessionPatch.create()
              .status(SessionPhase.KILLED.wire())
              .exitCode(ExitCodes.KILLED)
              .reason(Lifecycle.DEADLINE_EXCEEDED)
              .endedAt(now)
              .reconcileAt(now.plusMillis(200)));
    } else if (action instanceof Action.RecordEnd e) {
      return Mono.just(ended(row, obs, e, now));
    } else if (action instanceof Action.Fail f) {
      log.info("session {}: failed: {}", row.id(), f.reason());
      return Mono.just(StepPatches.failed(f.reason(), now));
    } else if (action instanceof Action.ArchiveAndDestroy) {
      return archiver.archiveAndDestroy(row, obs, now);
    } else if (action instanceof Action.Done) {
      return archiver.finish(row, now);
    } else if (action instanceof Action.Wait w) {
      return takeOver(row, obs, SessionPatch.create().reconcileAt(w.until()))
          .flatMap(p -> sampleCpu(obs, p));
    }
    return Mono.error(new IllegalStateException("unknown action " + action));
  }

  /**
   * A running session whose stdio no process here holds (this operator restarted) is taken over at
   * once where the backend loses nothing by it: its agent kept the output, and waits for a reader.
   * Before a stop or a kill too, so that the signal and the exit travel through the agent.
   */
  private Mono<SessionPatch> takeOver(SessionRow row, Observation obs, SessionPatch p) {
    MachineRef ref = obs.ref();
    if (obs.state() != MachineState.RUNNING
        || ref == null
        || hub.find(row.id()).isPresent()
        || !backend.resumable(ref)) {
      return Mono.just(p);
    }
    return Blocking.call(() -> hub.replay(ref))
        .map(s -> started(p))
        .onErrorResume(
            MachineException.class,
            e -> {
              log.info("session {}: cannot take its stdio over yet: {}", row.id(), e.getMessage());
              return Mono.just(p);
            });
  }

  /** Where the api replicas find this session's stdio: the stream this process holds. */
  private SessionPatch started(SessionPatch p) {
    return ioHolder == null ? p : p.ioHolder(ioHolder);
  }

  private static SessionPatch ended(
      SessionRow row, Observation obs, Action.RecordEnd e, Instant now) {
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
    return p;
  }

  /** Samples CPU time while the command runs: runtimes forget it once the command exits. */
  private Mono<SessionPatch> sampleCpu(Observation obs, SessionPatch p) {
    if (obs.ref() == null || obs.state() != MachineState.RUNNING) {
      return Mono.just(p);
    }
    return Blocking.call(() -> Optional.ofNullable(backend.cpuSeconds(obs.ref())))
        .map(cpu -> cpu.isPresent() ? p.cpuSeconds(cpu.get()) : p);
  }

  private Mono<SessionPatch> create(SessionRow row, Instant now, MachineOwner owner) {
    return Mono.fromCallable(() -> machineSpec(row, owner))
        .flatMap(ms -> Blocking.call(() -> backend.create(ms)))
        .flatMap(
            ref ->
                store
                    .machines()
                    .save(machineRow(row.id(), ref))
                    .then(
                        Blocking.call(
                            () ->
                                backend.attachableOnCreate()
                                    ? attachAndStart(ref)
                                    : backend.observe(ref.sessionId()))))
        .map(obs -> afterCreate(row, obs, backend.attachableOnCreate()))
        .onErrorResume(MachineException.class, e -> createFailed(row, e, now));
  }

  /**
   * @param attached whether this process attached to the machine and started its command (then it
   *     holds the session's stdio)
   */
  private SessionPatch afterCreate(SessionRow row, Observation obs, boolean attached) {
    Instant now = clock.instant();
    Action next = Lifecycle.afterCreate(obs, now, row.deadlineAt(), policy);
    if (next instanceof Action.RecordRunning r) {
      SessionPatch p = patches.running(row, obs, r.startedAt());
      return attached ? started(p) : p;
    }
    return SessionPatch.create().reconcileAt(((Action.Wait) next).until());
  }

  private Mono<SessionPatch> createFailed(SessionRow row, MachineException e, Instant now) {
    countError(e.kind());
    if (e.kind().permanent()) {
      log.info("session {}: cannot create its machine: {}", row.id(), e.getMessage());
      return Mono.just(StepPatches.failed(e.getMessage(), now));
    }
    int attempts = row.createAttempts() + 1;
    log.warn("session {}: create attempt {} failed: {}", row.id(), attempts, e.getMessage());
    return Mono.just(
        SessionPatch.create()
            .createAttempts(attempts)
            .reconcileAt(now.plusMillis(200L << Math.min(attempts, 6))));
  }

  private MachineSpec machineSpec(SessionRow row, MachineOwner owner) throws java.io.IOException {
    SessionSpec spec = json.readValue(row.specJson(), SessionSpec.class);
    var r = spec.getResources();
    return new MachineSpec(
        row.id(),
        row.accountId(),
        spec,
        r != null && r.getCpuMillis() != null ? r.getCpuMillis() : defaults.cpuMillis(),
        r != null && r.getMemoryMB() != null ? r.getMemoryMB() : defaults.memoryMB(),
        row.deadlineAt(),
        owner);
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

  private void countError(MachineException.Kind kind) {
    Counter.builder("execbox.backend.errors")
        .description("Backend failures by kind")
        .tag("backend", backend.name())
        .tag("kind", kind.name().toLowerCase(Locale.ROOT))
        .register(meters)
        .increment();
  }

  private static Duration shortest(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
