package io.execbox.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.sessions.KubernetesSessionObjects;
import io.execbox.api.sessions.SessionObjects;
import io.execbox.crds.Session;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.kubernetes.KubernetesModeOptions;
import io.execbox.operator.kubernetes.SessionResourceReconciler;
import io.execbox.operator.step.SessionStep;
import io.execbox.server.ExecboxProperties.Mode;
import io.execbox.server.ExecboxProperties.Role;
import io.execbox.store.Store;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Kubernetes mode (EXECBOX_MODE=kubernetes): the API writes a Session resource beside each row, and
 * the operator role runs the java-operator-sdk reconciler of those resources, under leader election
 * on a Lease, instead of the standalone loop.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExecbox(mode = Mode.KUBERNETES)
class KubernetesModeConfiguration {
  private static final Logger log = LoggerFactory.getLogger(KubernetesModeConfiguration.class);

  @Bean
  SessionObjects sessionObjects(KubernetesClient client, ExecboxProperties p, Clock clock) {
    return new KubernetesSessionObjects(client, p.namespace(), clock);
  }

  @Bean
  KubernetesModeOptions kubernetesModeOptions(ExecboxProperties p) {
    return new KubernetesModeOptions(
        p.namespace(),
        p.kubernetes().account(),
        p.kubernetes().namespaceAccountMap(),
        p.defaultTimeoutMs(),
        Duration.ofSeconds(30));
  }

  /** This replica's name in the operator Lease. */
  record LeaseIdentity(String value) {}

  /**
   * The operator role of kubernetes mode (its own condition names the mode too: component scanning
   * registers a nested configuration on its own, whatever its outer class's condition).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnExecbox(mode = Mode.KUBERNETES, roles = Role.OPERATOR)
  static class OperatorRole {
    @Bean
    SessionResourceReconciler sessionResourceReconciler(
        Store store,
        SessionStep step,
        ObjectMapper json,
        Clock clock,
        KubernetesModeOptions options,
        ExecboxProperties p) {
      int maxActive = p.maxActiveSessions();
      // the account of resources applied directly, so that their rows have one
      store
          .accounts()
          .ensureAccount(options.defaultAccount(), "sessions applied in Kubernetes", maxActive)
          .block(Duration.ofSeconds(30));
      for (String account : options.namespaceAccounts().values()) {
        store
            .accounts()
            .ensureAccount(account, "sessions applied in Kubernetes", maxActive)
            .block(Duration.ofSeconds(30));
      }
      return new SessionResourceReconciler(store, step, json, clock, options);
    }

    @Bean
    LeaseIdentity leaseIdentity() {
      return new LeaseIdentity(identity());
    }

    @Bean
    Leadership leadership() {
      return new Leadership();
    }

    @Bean
    SmartLifecycle sessionOperator(
        LeaseIdentity identity,
        Leadership leadership,
        KubernetesClient client,
        SessionResourceReconciler reconciler,
        MachineBackend backend,
        SessionIoHub hub,
        KubernetesModeOptions options,
        ExecboxProperties p) {
      String lease = p.kubernetes().lease();
      Duration leaseDuration = p.kubernetes().leaseDuration();
      int concurrency = p.concurrency();
      return new SmartLifecycle() {
        private Operator operator;
        private volatile boolean stopping;

        @Override
        public synchronized void start() {
          // the API's stop and delete change the resource too, so its own events carry them; row
          // notifications would only add reconciles
          backend.onChange(reconciler::wake);
          hub.onExit(reconciler::wake);
          operator =
              new Operator(
                  o ->
                      o.withKubernetesClient(client)
                          .withCloseClientOnStop(false)
                          .checkingCRDAndValidateLocalModel(false)
                          .withConcurrentReconciliationThreads(concurrency)
                          .withLeaderElectionConfiguration(
                              new LeaderElectionConfiguration(
                                  lease,
                                  options.namespace(),
                                  leaseDuration,
                                  leaseDuration.multipliedBy(2).dividedBy(3),
                                  leaseDuration.dividedBy(5),
                                  identity.value(),
                                  new LeaderCallbacks(
                                      () -> {
                                        leadership.started();
                                        log.info("leading: this replica reconciles sessions");
                                      },
                                      () -> {
                                        leadership.stopped();
                                        lostLease();
                                      },
                                      leader -> log.info("the operator leader is {}", leader)),
                                  false)));
          operator.register(
              reconciler,
              c ->
                  c.settingNamespace(options.namespace())
                      .withName("sessions")
                      .withGenerationAware(false)
                      // a failing step is retried with backoff, without a limit: a session must
                      // not be left behind because the database or the backend was away a while
                      .withRetry(
                          new GenericRetry()
                              .setInitialInterval(500)
                              .setIntervalMultiplier(2)
                              .setMaxInterval(15_000)
                              .withoutMaxAttempts())
                      .withFinalizer(Session.FINALIZER));
          operator.start();
          log.info(
              "kubernetes mode: reconciling Session resources in {} (lease {})",
              options.namespace(),
              lease);
        }

        /**
         * Another replica took the lease (this one could not renew it in time): exit, as operators
         * do, so that the Pod restarts as a follower; but not while shutting down, when giving the
         * lease up is expected (an exit from there would wait on the shutdown itself).
         */
        private void lostLease() {
          if (stopping) {
            return;
          }
          log.error("lost the operator lease: exiting so that this replica restarts as a follower");
          Thread t = new Thread(() -> System.exit(1), "execbox-lease-lost");
          t.setDaemon(true);
          t.start();
        }

        @Override
        public synchronized void stop() {
          stopping = true;
          if (operator != null) {
            operator.stop();
            operator = null;
          }
        }

        @Override
        public boolean isRunning() {
          return operator != null;
        }
      };
    }

    private static String identity() {
      String host;
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        host = "execbox";
      }
      return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
  }
}
