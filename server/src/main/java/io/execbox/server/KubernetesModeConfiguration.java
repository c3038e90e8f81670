package io.execbox.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.sessions.KubernetesSessionObjects;
import io.execbox.api.sessions.SessionObjects;
import io.execbox.crds.Session;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.operator.kubernetes.KubernetesModeOptions;
import io.execbox.operator.kubernetes.SessionResourceReconciler;
import io.execbox.operator.standalone.SessionReconciler;
import io.execbox.store.Store;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Kubernetes mode (EXECBOX_MODE=kubernetes): the API writes a Session resource beside each row, and
 * the operator role runs the java-operator-sdk reconciler of those resources, under leader election
 * on a Lease, instead of the standalone loop.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "execbox.mode", havingValue = "kubernetes")
class KubernetesModeConfiguration {
  private static final Logger log = LoggerFactory.getLogger(KubernetesModeConfiguration.class);

  @Bean
  SessionObjects sessionObjects(
      KubernetesClient client,
      @Value("${execbox.namespace:execbox}") String namespace,
      Clock clock) {
    return new KubernetesSessionObjects(client, namespace, clock);
  }

  @Bean
  KubernetesModeOptions kubernetesModeOptions(
      @Value("${execbox.namespace:execbox}") String namespace,
      @Value("${execbox.kubernetes.account:acct_kubernetes}") String account,
      @Value("${execbox.kubernetes.namespace-accounts:}") String namespaceAccounts,
      @Value("${execbox.default-timeout-ms:300000}") int defaultTimeoutMs) {
    Map<String, String> byNamespace = new LinkedHashMap<>();
    for (String pair : namespaceAccounts.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      String[] kv = pair.split("=", 2);
      if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
        throw new ConfigurationException(
            "EXECBOX_KUBERNETES_NAMESPACE_ACCOUNTS must be namespace=account,…, not " + pair);
      }
      byNamespace.put(kv[0].strip(), kv[1].strip());
    }
    return new KubernetesModeOptions(
        namespace, account, byNamespace, defaultTimeoutMs, Duration.ofSeconds(30));
  }

  /** This replica's name in the operator Lease. */
  record LeaseIdentity(String value) {}

  /**
   * The operator role of kubernetes mode (its own condition names the mode too: component scanning
   * registers a nested configuration on its own, whatever its outer class's condition).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnExpression(
      "'${execbox.mode:standalone}' == 'kubernetes'"
          + " && '${execbox.roles:api,operator}'.contains('operator')")
  static class OperatorRole {
    @Bean
    SessionResourceReconciler sessionResourceReconciler(
        Store store,
        SessionReconciler lifecycle,
        ObjectMapper json,
        Clock clock,
        KubernetesModeOptions options,
        @Value("${execbox.max-active-sessions:10}") int maxActive) {
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
      return new SessionResourceReconciler(store, lifecycle, json, clock, options);
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
        @Value("${execbox.kubernetes.lease:execbox-operator}") String lease,
        @Value("${execbox.kubernetes.lease-duration:15s}") Duration leaseDuration,
        @Value("${execbox.reconcile-concurrency:16}") int concurrency) {
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
