package io.execbox.server;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineIo;
import io.execbox.machines.docker.DockerBackend;
import io.execbox.machines.docker.DockerClient;
import io.execbox.machines.docker.DockerHost;
import io.execbox.machines.docker.DockerOptions;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.machines.kubernetes.KubernetesBackend;
import io.execbox.machines.kubernetes.PodOptions;
import io.execbox.store.Store;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

/** The machine backend (EXECBOX_BACKEND) and the I/O hub on top of it. */
@Configuration(proxyBeanMethods = false)
class MachinesConfiguration {
  private static final Logger log = LoggerFactory.getLogger(MachinesConfiguration.class);

  /**
   * The cluster of KUBECONFIG, or the in-cluster configuration: only for the kubernetes backend.
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnProperty(name = "execbox.backend", havingValue = "kubernetes")
  KubernetesClient kubernetesClient() {
    try {
      return new KubernetesClientBuilder().build();
    } catch (RuntimeException e) {
      throw new ConfigurationException(
          "no Kubernetes configuration: set KUBECONFIG or run in a cluster ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  @Bean
  MachineBackend machineBackend(
      @Value("${execbox.backend:docker}") String backend,
      @Value("${execbox.mode:standalone}") String mode,
      Environment env,
      Store store,
      ObjectProvider<KubernetesClient> client) {
    String m = mode.toLowerCase(Locale.ROOT);
    if (!"standalone".equals(m) && !"kubernetes".equals(m)) {
      throw new ConfigurationException(
          "EXECBOX_MODE must be standalone or kubernetes, not " + mode);
    }
    if ("kubernetes".equals(m) && !"kubernetes".equalsIgnoreCase(backend)) {
      throw new ConfigurationException(
          "EXECBOX_MODE=kubernetes runs sessions as Pods: set EXECBOX_BACKEND=kubernetes too");
    }
    String installation = store.installationId().block(Duration.ofSeconds(30));
    return switch (backend.toLowerCase(Locale.ROOT)) {
      case "docker" -> docker(env, installation);
      case "kubernetes" -> kubernetes(env, installation, client.getObject());
      default ->
          throw new ConfigurationException(
              "EXECBOX_BACKEND must be docker or kubernetes, not " + backend);
    };
  }

  private static DockerBackend docker(Environment env, String installation) {
    String dockerHost = env.getProperty("docker.host", "");
    String pull = env.getProperty("execbox.docker.pull", "never");
    DockerHost host;
    try {
      host = DockerHost.resolve(dockerHost);
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
    DockerOptions.PullPolicy policy;
    try {
      policy = DockerOptions.PullPolicy.valueOf(pull.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("EXECBOX_DOCKER_PULL must be never or missing, not " + pull);
    }
    DockerBackend b =
        new DockerBackend(
            new DockerClient(host),
            new DockerOptions(
                policy,
                DockerOptions.defaults().pidsLimit(),
                DockerOptions.defaults().exposeHost(),
                installation));
    try {
      b.ping();
    } catch (MachineException e) {
      throw new ConfigurationException(
          "the container runtime at DOCKER_HOST="
              + host.uri()
              + " does not answer ("
              + e.getMessage()
              + "); start Docker or `podman system service`, or set DOCKER_HOST",
          e);
    }
    log.info("docker backend on {}", host.uri());
    return b;
  }

  /**
   * Pods in EXECBOX_NAMESPACE of the cluster of KUBECONFIG (or the in-cluster configuration). The
   * image pull policy is EXECBOX_KUBERNETES_PULL_POLICY (IfNotPresent), the stdio gate
   * EXECBOX_KUBERNETES_STDIO_GATE (true).
   */
  private static KubernetesBackend kubernetes(
      Environment env, String installation, KubernetesClient client) {
    String namespace = env.getProperty("execbox.namespace", "execbox");
    String policy = env.getProperty("execbox.kubernetes.pull-policy", "IfNotPresent");
    if (!List.of("IfNotPresent", "Never", "Always").contains(policy)) {
      throw new ConfigurationException(
          "EXECBOX_KUBERNETES_PULL_POLICY must be IfNotPresent, Never or Always, not " + policy);
    }
    boolean gate = env.getProperty("execbox.kubernetes.stdio-gate", Boolean.class, true);
    int cpuRequest =
        env.getProperty(
            "execbox.kubernetes.cpu-request-percent",
            Integer.class,
            PodOptions.DEFAULT_CPU_REQUEST_PERCENT);
    Long runAsUser = env.getProperty("execbox.kubernetes.run-as-user", Long.class);
    if (runAsUser != null && runAsUser < 1) {
      throw new ConfigurationException(
          "EXECBOX_KUBERNETES_RUN_AS_USER must be a non-root user id (1 or more), not "
              + runAsUser);
    }
    if (cpuRequest < 1 || cpuRequest > 100) {
      throw new ConfigurationException(
          "EXECBOX_KUBERNETES_CPU_REQUEST_PERCENT must be 1..100, not " + cpuRequest);
    }
    Duration grace = env.getProperty("execbox.stop-grace", Duration.class, Duration.ofSeconds(10));
    KubernetesBackend b =
        new KubernetesBackend(
            client,
            new PodOptions(namespace, policy, installation, gate, cpuRequest, runAsUser),
            grace);
    try {
      b.ping();
      b.start();
    } catch (MachineException e) {
      b.close();
      throw new ConfigurationException(e.getMessage(), e);
    }
    log.info("kubernetes backend: namespace {} on {}", namespace, client.getMasterUrl());
    return b;
  }

  @Bean(destroyMethod = "close")
  SessionIoHub sessionIoHub(
      MachineBackend backend, @Value("${execbox.retention:32MB}") DataSize retention) {
    return new SessionIoHub((MachineIo) backend, retention.toBytes());
  }
}
