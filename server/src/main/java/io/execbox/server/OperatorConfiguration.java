package io.execbox.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.lifecycle.LifecyclePolicy;
import io.execbox.operator.standalone.MachineDefaults;
import io.execbox.operator.standalone.OrphanSweeper;
import io.execbox.operator.standalone.SessionReconciler;
import io.execbox.operator.standalone.StandaloneLoop;
import io.execbox.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The operator role in standalone mode: the reconcile loop and the orphan sweep. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${execbox.roles:api,operator}'.contains('operator')")
class OperatorConfiguration {
  @Bean
  SessionReconciler sessionReconciler(
      Store store,
      MachineBackend backend,
      SessionIoHub hub,
      ObjectMapper json,
      Clock clock,
      MeterRegistry meters,
      @Value("${execbox.stop-grace:10s}") Duration grace,
      @Value("${execbox.poll-interval:1s}") Duration poll,
      @Value("${execbox.default-cpu-millis:1000}") int cpu,
      @Value("${execbox.default-memory-mb:512}") int memory) {
    return new SessionReconciler(
        store,
        backend,
        hub,
        new LifecyclePolicy(grace, poll, 5),
        new MachineDefaults(cpu, memory),
        json,
        clock,
        meters);
  }

  @Bean(destroyMethod = "close")
  StandaloneLoop standaloneLoop(
      Store store,
      SessionReconciler reconciler,
      SessionIoHub hub,
      @Value("${execbox.reconcile-concurrency:8}") int concurrency) {
    return new StandaloneLoop(store, reconciler, hub, Duration.ofMillis(250), concurrency);
  }

  @Bean(destroyMethod = "close")
  OrphanSweeper orphanSweeper(
      Store store,
      MachineBackend backend,
      @Value("${execbox.sweep-interval:30s}") Duration interval) {
    return new OrphanSweeper(store, backend, interval);
  }

  /** Starts the loop and the sweep once the context is up, and stops them first on shutdown. */
  @Bean
  SmartLifecycle operatorLifecycle(StandaloneLoop loop, OrphanSweeper sweeper) {
    return new SmartLifecycle() {
      private volatile boolean running;

      @Override
      public void start() {
        sweeper.start();
        loop.start();
        running = true;
      }

      @Override
      public void stop() {
        loop.close();
        sweeper.close();
        running = false;
      }

      @Override
      public boolean isRunning() {
        return running;
      }
    };
  }
}
