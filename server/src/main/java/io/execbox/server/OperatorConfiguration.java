package io.execbox.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.lifecycle.LifecyclePolicy;
import io.execbox.operator.standalone.OrphanSweeper;
import io.execbox.operator.standalone.StandaloneLoop;
import io.execbox.operator.step.MachineDefaults;
import io.execbox.operator.step.SessionStep;
import io.execbox.server.ExecboxProperties.Mode;
import io.execbox.server.ExecboxProperties.Role;
import io.execbox.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The operator role: the lifecycle and the orphan sweep, with the standalone reconcile loop in
 * standalone mode (kubernetes mode drives the same lifecycle from {@link
 * KubernetesModeConfiguration}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExecbox(roles = Role.OPERATOR)
class OperatorConfiguration {
  @Bean
  SessionStep sessionStep(
      Store store,
      MachineBackend backend,
      SessionIoHub hub,
      ObjectMapper json,
      Clock clock,
      MeterRegistry meters,
      ExecboxProperties p) {
    // docker has no change events (and CPU time is sampled while polling): look every second; the
    // kubernetes driver announces every Pod change, so its poll is only a safety net, kept rare:
    // a thousand Pending Pods polled every 10 s cost 100 steps a second for nothing
    Duration poll =
        p.pollInterval() != null
            ? p.pollInterval()
            : backend.attachableOnCreate() ? Duration.ofSeconds(1) : Duration.ofSeconds(30);
    return new SessionStep(
        store,
        backend,
        hub,
        new LifecyclePolicy(p.stopGrace(), poll, 5),
        new MachineDefaults(p.defaultCpuMillis(), p.defaultMemoryMb()),
        json,
        clock,
        meters,
        p.advertiseAddress());
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnExecbox(mode = Mode.STANDALONE)
  StandaloneLoop standaloneLoop(
      Store store,
      SessionStep step,
      Clock clock,
      SessionIoHub hub,
      MachineBackend backend,
      ExecboxProperties p) {
    return new StandaloneLoop(
        store, step, clock, hub, backend, Duration.ofMillis(250), p.concurrency());
  }

  /** Sweeps only while this process leads, in kubernetes mode; always, in standalone mode. */
  @Bean(destroyMethod = "close")
  OrphanSweeper orphanSweeper(
      Store store,
      MachineBackend backend,
      ObjectProvider<Leadership> leadership,
      ExecboxProperties p) {
    Leadership l = leadership.getIfAvailable();
    return new OrphanSweeper(
        store, backend, p.sweepInterval(), l == null ? () -> true : l::leading);
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
