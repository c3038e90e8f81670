package io.execbox.operator.standalone;

import io.execbox.machines.BlockingPools;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineSummary;
import io.execbox.store.Store;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Destroys labelled machines whose session is finished or unknown, at start and periodically, so no
 * machine outlives its session even after a crash between steps.
 */
public final class OrphanSweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

  private final Store store;
  private final MachineBackend backend;
  private final Duration interval;
  private final BooleanSupplier active;
  private volatile Passes running;

  /** Set by {@link #close}: no further step starts. */
  private volatile boolean stopping;

  public OrphanSweeper(Store store, MachineBackend backend, Duration interval) {
    this(store, backend, interval, () -> true);
  }

  /**
   * @param active whether this process sweeps now: under leader election only the leader does, so
   *     that a follower never acts on machines
   */
  public OrphanSweeper(
      Store store, MachineBackend backend, Duration interval, BooleanSupplier active) {
    this.store = store;
    this.backend = backend;
    this.interval = interval;
    this.active = active;
  }

  public synchronized void start() {
    stopping = false;
    // a sweep slower than the interval skips ticks: an interval that overflowed would end the
    // sweeps for good (it did, while a blocked shared pool held the sweep up for 15 s)
    running =
        new Passes(
            "orphan sweep",
            Flux.interval(Duration.ZERO, interval).onBackpressureDrop(),
            this::sweep);
  }

  /** One sweep; emits how many machines were destroyed (none while this process is not active). */
  public Mono<Integer> sweep() {
    if (!active.getAsBoolean()) {
      return Mono.just(0);
    }
    return Mono.fromCallable(backend::list)
        .subscribeOn(BlockingPools.SWEEP)
        .flatMap(
            machines -> {
              List<String> ids =
                  machines.stream().map(MachineSummary::sessionId).filter(s -> s != null).toList();
              return store
                  .sessions()
                  .liveMachineSessions(ids)
                  .collectList()
                  .map(HashSet::new)
                  .flatMap(live -> destroyOrphans(machines, live));
            })
        .onErrorResume(
            e -> {
              log.warn("orphan sweep failed: {}", e.toString());
              return Mono.just(0);
            });
  }

  private Mono<Integer> destroyOrphans(List<MachineSummary> machines, Set<String> live) {
    return Flux.fromIterable(machines)
        .filter(m -> m.sessionId() == null || !live.contains(m.sessionId()))
        .filter(m -> !stopping)
        .concatMap(
            m ->
                Mono.fromRunnable(
                        () -> {
                          log.info(
                              "destroying orphan machine {} of session {}",
                              m.machineId(),
                              m.sessionId());
                          if (m.sessionId() != null) {
                            backend.destroy(m.sessionId());
                          }
                        })
                    .subscribeOn(BlockingPools.SWEEP)
                    .thenReturn(1))
        .reduce(0, Integer::sum);
  }

  /** Starts no further sweep and lets the one under way end (a destroy is not cut in two). */
  @Override
  public void close() {
    Passes r;
    synchronized (this) {
      stopping = true;
      r = running;
      running = null; // a second close (the lifecycle's, then the bean's) has nothing to do
    }
    if (r != null) {
      r.close(StandaloneLoop.STOP_BOUND);
    }
  }
}
