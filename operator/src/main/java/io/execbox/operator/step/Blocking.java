package io.execbox.operator.step;

import io.execbox.machines.BlockingPools;
import java.util.concurrent.Callable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Runs the backend's blocking calls off the event loops, on the reconciler's own bounded pool: no
 * client's work shares it, so deadlines and new sessions keep their capacity.
 */
final class Blocking {
  private static final Scheduler SCHEDULER = BlockingPools.RECONCILE;

  private Blocking() {}

  static <T> Mono<T> call(Callable<T> c) {
    return Mono.fromCallable(c).subscribeOn(SCHEDULER);
  }

  static Mono<Void> run(Runnable r) {
    return Mono.<Void>fromRunnable(r).subscribeOn(SCHEDULER);
  }
}
