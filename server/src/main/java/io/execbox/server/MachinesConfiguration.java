package io.execbox.server;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineIo;
import io.execbox.machines.docker.DockerBackend;
import io.execbox.machines.docker.DockerClient;
import io.execbox.machines.docker.DockerHost;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.machines.kubernetes.KubernetesBackend;
import io.execbox.machines.kubernetes.PodOptions;
import io.execbox.server.ExecboxProperties.Backend;
import io.execbox.store.Store;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The machine backend (EXECBOX_BACKEND) and the I/O hub on top of it. */
@Configuration(proxyBeanMethods = false)
class MachinesConfiguration {
  private static final Logger log = LoggerFactory.getLogger(MachinesConfiguration.class);

  /**
   * The cluster of KUBECONFIG, or the in-cluster configuration: only for the kubernetes backend.
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnExecbox(backend = Backend.KUBERNETES)
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
      ExecboxProperties p,
      DockerProperties docker,
      Store store,
      ObjectProvider<KubernetesClient> client) {
    String installation = store.installationId().block(Duration.ofSeconds(30));
    return switch (p.backend()) {
      case DOCKER -> docker(docker.host(), p.docker(), installation);
      case KUBERNETES ->
          kubernetes(
              p,
              installation,
              client.getObject(),
              store
                  .installationSecret("session-agents")
                  .block(Duration.ofSeconds(30))
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    };
  }

  private static DockerBackend docker(
      String dockerHost, ExecboxProperties.Docker settings, String installation) {
    DockerHost host;
    try {
      host = DockerHost.resolve(dockerHost == null ? "" : dockerHost);
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
    DockerBackend b = new DockerBackend(new DockerClient(host), settings.options(installation));
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
    try {
      b.prepare();
    } catch (MachineException e) {
      throw new ConfigurationException(
          "the docker backend cannot sandbox sessions as configured: "
              + e.getMessage()
              + " (EXECBOX_DOCKER_EGRESS=filtered needs root or CAP_NET_ADMIN and nft on the"
              + " runtime's host; EXECBOX_DOCKER_EGRESS=open and EXECBOX_DOCKER_USERNS=host"
              + " turn the filter and the user namespace off)",
          e);
    }
    log.info("docker backend on {}", host.uri());
    return b;
  }

  /** Pods in EXECBOX_NAMESPACE of the cluster of KUBECONFIG (or the in-cluster configuration). */
  private static KubernetesBackend kubernetes(
      ExecboxProperties p, String installation, KubernetesClient client, byte[] agentKey) {
    ExecboxProperties.Kubernetes k = p.kubernetes();
    KubernetesBackend b =
        new KubernetesBackend(
            client,
            new PodOptions(
                p.namespace(),
                k.pullPolicy(),
                installation,
                k.stdioGate(),
                k.cpuRequestPercent(),
                k.runAsUser(),
                k.agent()),
            p.stopGrace(),
            agentKey);
    try {
      b.ping();
      b.start();
    } catch (MachineException e) {
      b.close();
      throw new ConfigurationException(e.getMessage(), e);
    }
    log.info("kubernetes backend: namespace {} on {}", p.namespace(), client.getMasterUrl());
    return b;
  }

  @Bean(destroyMethod = "close")
  SessionIoHub sessionIoHub(MachineBackend backend, ExecboxProperties p) {
    return new SessionIoHub((MachineIo) backend, p.retention().toBytes());
  }
}
