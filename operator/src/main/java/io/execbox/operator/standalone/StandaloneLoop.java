package io.execbox.operator.standalone;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.step.SessionStep;
import io.execbox.store.SessionPatch;
import io.execbox.store.Store;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Standalone mode's control loop: the Postgres rows are the desired state. A pass reconciles every
 * due row; passes run when PostgreSQL announces a row needs work (LISTEN/NOTIFY), when a machine's
 * command exits, and on a short timer for deadlines and polls. Rows are claimed FOR UPDATE SKIP
 * LOCKED, so several replicas can run it side by side.
 */
public final class StandaloneLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandaloneLoop.class);

  private final Store store;
  private final SessionStep step;
  private final Clock clock;
  private final StepBackoff backoff = new StepBackoff();

  /** Failing passes back off too, under this key of their own. */
  private static final String PASS = "";

  private final StepBackoff passes = new StepBackoff();
  private volatile java.time.Instant nextPass = java.time.Instant.MIN;
  private final SessionIoHub hub;
  private final MachineBackend backend;
  private final Duration tick;
  private final int concurrency;
  private volatile Passes running;

  /** Set by {@link #close}: no further step starts. */
  private volatile boolean stopping;

  /** How long a stop waits for the pass under way (its steps) to end before cancelling it. */
  public static final Duration STOP_BOUND = Duration.ofSeconds(10);

  public StandaloneLoop(
      Store store,
      SessionStep step,
      Clock clock,
      SessionIoHub hub,
      MachineBackend backend,
      Duration tick,
      int concurrency) {
    this.store = store;
    this.step = step;
    this.clock = clock;
    this.hub = hub;
    this.backend = backend;
    this.tick = tick;
    this.concurrency = concurrency;
  }

  public synchronized void start() {
    stopping = false;
    if (running != null) {
      return;
    }
    hub.onExit(this::wake);
    backend.onChange(this::wake);
    running =
        new Passes(
            "standalone reconcile loop",
            Flux.merge(
                    Flux.just(0L), store.sessionWakeups().map(id -> 0L), Flux.interval(tick, tick))
                .onBackpressureLatest(),
            this::pass);
    log.info("standalone reconcile loop started");
  }

  /** Makes a session's row due now; PostgreSQL's NOTIFY then starts a pass. */
  private void wake(String id) {
    store.sessions().wake(id).subscribe(null, e -> log.debug("wake {}: {}", id, e.toString()));
  }

  /**
   * Reconciles every due row once. When a pass fails (the database is away), the passes after it
   * are put off like a failing session's steps, so a dead database is not asked every tick.
   */
  public Mono<Void> pass() {
    if (clock.instant().isBefore(nextPass)) {
      return Mono.empty();
    }
    return store
        .sessions()
        .dueIds(256)
        // once stopping, steps under way end and no further one starts
        .filter(id -> !stopping)
        .flatMap(this::reconcile, concurrency)
        .then()
        .doOnSuccess(x -> passes.succeeded(PASS))
        .onErrorResume(
            e -> {
              Duration wait = passes.failed(PASS);
              nextPass = clock.instant().plus(wait);
              log.warn(
                  "reconcile pass failed ({} in a row), next in {} ms: {}",
                  passes.failures(PASS),
                  wait.toMillis(),
                  e.toString());
              return Mono.empty();
            });
  }

  /**
   * Takes the session's step; when it fails, logs why and puts the row's next try off by the
   * session's backoff, so a failing backend or database is not hammered once a second.
   */
  Mono<Void> reconcile(String id) {
    return step.run(id)
        .doOnSuccess(x -> backoff.succeeded(id))
        .then()
        .onErrorResume(
            e -> {
              Duration wait = backoff.failed(id);
              log.warn(
                  "session {}: step failed ({} in a row), next try in {} ms: {}",
                  id,
                  backoff.failures(id),
                  wait.toMillis(),
                  e.toString());
              return store
                  .sessions()
                  .apply(id, SessionPatch.create().reconcileAt(clock.instant().plus(wait)))
                  .onErrorResume(x -> Mono.empty());
            });
  }

  /**
   * Stops in order: no further pass or step starts, the steps under way end (up to {@link
   * #STOP_BOUND}), then the loop lets go of its triggers.
   */
  @Override
  public void close() {
    Passes r;
    synchronized (this) {
      stopping = true;
      r = running;
      running = null; // a second close (the lifecycle's, then the bean's) has nothing to do
    }
    if (r != null) {
      r.close(STOP_BOUND);
      log.info("standalone reconcile loop stopped");
    }
  }
}
