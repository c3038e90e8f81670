package io.execbox.operator.standalone;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Passes run one at a time, one per trigger, that stop in order: {@link #close} takes no further
 * pass and waits, within a bound, for the one under way to end, so that a shutdown does not cancel
 * a step in the middle of its transaction or its backend call (which then failed against a database
 * or a runtime client that was closing, and logged so).
 */
final class Passes {
  private static final Logger log = LoggerFactory.getLogger(Passes.class);

  private final String name;
  private final Sinks.Empty<Void> stop = Sinks.empty();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final Disposable subscription;
  private volatile boolean stopping;

  Passes(String name, Flux<?> triggers, Supplier<Mono<?>> pass) {
    this.name = name;
    this.subscription =
        triggers
            .takeUntilOther(stop.asMono())
            .concatMap(t -> stopping ? Mono.empty() : pass.get(), 1)
            .subscribe(null, done::completeExceptionally, () -> done.complete(null));
  }

  /** Takes no further pass and waits up to {@code bound} for the one under way; then cancels it. */
  void close(Duration bound) {
    stopping = true;
    stop.tryEmitEmpty();
    try {
      done.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.info("{}: the pass under way still ran {} after the stop; it is cancelled", name, bound);
    } catch (ExecutionException e) {
      log.info("{} ended with {}", name, e.getCause().toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      subscription.dispose();
    }
  }
}
