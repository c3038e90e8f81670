package io.execbox.server;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineIo;
import io.execbox.machines.docker.DockerBackend;
import io.execbox.machines.docker.DockerClient;
import io.execbox.machines.docker.DockerHost;
import io.execbox.machines.docker.DockerOptions;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.store.Store;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/** The machine backend (EXECBOX_BACKEND) and the I/O hub on top of it. */
@Configuration(proxyBeanMethods = false)
class MachinesConfiguration {
  private static final Logger log = LoggerFactory.getLogger(MachinesConfiguration.class);

  @Bean
  DockerBackend machineBackend(
      @Value("${execbox.backend:docker}") String backend,
      @Value("${execbox.mode:standalone}") String mode,
      @Value("${docker.host:}") String dockerHost,
      @Value("${execbox.docker.pull:never}") String pull,
      Store store) {
    if (!"standalone".equals(mode.toLowerCase(Locale.ROOT))) {
      throw new ConfigurationException(
          "EXECBOX_MODE=" + mode + " is not available in this build; use EXECBOX_MODE=standalone");
    }
    if (!"docker".equals(backend.toLowerCase(Locale.ROOT))) {
      throw new ConfigurationException(
          "EXECBOX_BACKEND="
              + backend
              + " is not available in this build; use EXECBOX_BACKEND=docker");
    }
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
                store.installationId().block(Duration.ofSeconds(30))));
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

  @Bean(destroyMethod = "close")
  SessionIoHub sessionIoHub(
      MachineBackend backend, @Value("${execbox.retention:32MB}") DataSize retention) {
    return new SessionIoHub((MachineIo) backend, retention.toBytes());
  }
}
