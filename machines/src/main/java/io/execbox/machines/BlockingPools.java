package io.execbox.machines;

import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The schedulers that blocking calls (the backends' clients, the runtime's sockets) run on: one per
 * purpose, each bounded and named, so that no purpose can take the threads another needs. Nothing
 * of ours runs on Reactor's shared {@code Schedulers.boundedElastic()}: work that a client can
 * trigger there would starve the reconciler and the health check (issue 14). Stdin has a pool of
 * its own too, in {@link io.execbox.machines.io.SessionIoHub}, with a line per session.
 *
 * <p>A full pool queues its callers' tasks (up to a bound, then rejects them); it never borrows
 * another's threads.
 */
public final class BlockingPools {
  private BlockingPools() {}

  private static final int CPUS = Runtime.getRuntime().availableProcessors();

  /**
   * The reconciler's backend calls (observe, create, start, stop, kill, destroy, archive):
   * deadlines are enforced through these too. Clients reach it only through their sessions, which
   * the quota bounds.
   */
  public static final Scheduler RECONCILE = pool("execbox-reconcile", Math.max(16, 4 * CPUS));

  /** The orphan sweep's listing and destroys. */
  public static final Scheduler SWEEP = pool("execbox-sweep", 2);

  /** {@code /health}'s ping of the backend. */
  public static final Scheduler HEALTH = pool("execbox-health", 2);

  /** Attaching to a machine for a client that this process does not hold the stream of. */
  public static final Scheduler ATTACH = pool("execbox-attach", 8);

  /** The api's writes of Session resources (kubernetes mode). */
  public static final Scheduler RESOURCES = pool("execbox-resources", 8);

  /** Building the OpenAPI document and serving Swagger UI's files. */
  public static final Scheduler DOCUMENTS = pool("execbox-documents", 2);

  private static Scheduler pool(String name, int threads) {
    return Schedulers.newBoundedElastic(threads, 10_000, name, 60, true);
  }
}
