package io.execbox.operator.step;

import java.util.concurrent.Callable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** Runs the backend's blocking calls off the event loops. */
final class Blocking {
  private static final Scheduler SCHEDULER = Schedulers.boundedElastic();

  private Blocking() {}

  static <T> Mono<T> call(Callable<T> c) {
    return Mono.fromCallable(c).subscribeOn(SCHEDULER);
  }

  static Mono<Void> run(Runnable r) {
    return Mono.<Void>fromRunnable(r).subscribeOn(SCHEDULER);
  }
}
