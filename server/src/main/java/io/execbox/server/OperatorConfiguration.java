package io.execbox.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.lifecycle.LifecyclePolicy;
import io.execbox.operator.standalone.OrphanSweeper;
import io.execbox.operator.standalone.StandaloneLoop;
import io.execbox.operator.step.MachineDefaults;
import io.execbox.operator.step.SessionStep;
import io.execbox.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The operator role: the lifecycle and the orphan sweep, with the standalone reconcile loop in
 * standalone mode (kubernetes mode drives the same lifecycle from {@link
 * KubernetesModeConfiguration}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${execbox.roles:api,operator}'.contains('operator')")
class OperatorConfiguration {
  @Bean
  SessionStep sessionStep(
      Store store,
      MachineBackend backend,
      SessionIoHub hub,
      ObjectMapper json,
      Clock clock,
      MeterRegistry meters,
      @Value("${execbox.stop-grace:10s}") Duration grace,
      @Value("${execbox.poll-interval:}") String pollSetting,
      @Value("${execbox.default-cpu-millis:1000}") int cpu,
      @Value("${execbox.default-memory-mb:512}") int memory,
      @Value("${execbox.advertise-address:}") String advertise) {
    // docker has no change events (and CPU time is sampled while polling): look every second; the
    // kubernetes driver announces every Pod change, so its poll is only a safety net, kept rare:
    // a thousand Pending Pods polled every 10 s cost 100 steps a second for nothing
    Duration poll =
        pollSetting.isBlank()
            ? (backend.attachableOnCreate() ? Duration.ofSeconds(1) : Duration.ofSeconds(30))
            : org.springframework.boot.convert.DurationStyle.detectAndParse(pollSetting);
    return new SessionStep(
        store,
        backend,
        hub,
        new LifecyclePolicy(grace, poll, 5),
        new MachineDefaults(cpu, memory),
        json,
        clock,
        meters,
        advertise.isBlank() ? null : advertise);
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnProperty(name = "execbox.mode", havingValue = "standalone", matchIfMissing = true)
  StandaloneLoop standaloneLoop(
      Store store,
      SessionStep step,
      Clock clock,
      SessionIoHub hub,
      MachineBackend backend,
      @Value("${execbox.reconcile-concurrency:8}") int concurrency) {
    return new StandaloneLoop(
        store, step, clock, hub, backend, Duration.ofMillis(250), concurrency);
  }

  /** Sweeps only while this process leads, in kubernetes mode; always, in standalone mode. */
  @Bean(destroyMethod = "close")
  OrphanSweeper orphanSweeper(
      Store store,
      MachineBackend backend,
      ObjectProvider<Leadership> leadership,
      @Value("${execbox.sweep-interval:30s}") Duration interval) {
    Leadership l = leadership.getIfAvailable();
    return new OrphanSweeper(store, backend, interval, l == null ? () -> true : l::leading);
  }

  /** Starts the loop and the sweep once the context is up, and stops them first on shutdown. */
  @Bean
  SmartLifecycle operatorLifecycle(ObjectProvider<StandaloneLoop> loop, OrphanSweeper sweeper) {
    return new SmartLifecycle() {
      private volatile boolean running;

      @Override
      public void start() {
        sweeper.start();
        loop.ifAvailable(StandaloneLoop::start);
        running = true;
      }

      @Override
      public void stop() {
        loop.ifAvailable(StandaloneLoop::close);
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
