package io.execbox.machines.kubernetes;

import io.execbox.crds.Labels;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.agent.AgentBinary;
import io.execbox.machines.agent.AgentSecrets;
import io.execbox.machines.agent.AgentTransport;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.PortForward;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-machine agent on Kubernetes (docs/AGENT.md): delivered by a ConfigMap holding the binary,
 * named after its digest, so that an upgrade brings a new one beside the old and no Pod's volume
 * ever changes under it; made the Pod's PID 1 in front of the session's command, listening on the
 * Pod's loopback; and reached through the apiserver's {@code pods/portforward}. Each session's
 * secret is derived from the installation's agent key and the session id, so that any replica can
 * reach any session's agent and nothing needs to be stored.
 */
final class PodAgents {
  /** Where the binary is mounted in the session's container. */
  static final String DIR = "/.execbox";

  static final String BINARY = DIR + "/execbox-agent";

  static final String VOLUME = "execbox-agent";

  static final String SECRET_ENV = "EXECBOX_AGENT_SECRET";

  /** The agent's port on the Pod's loopback, unless the session publishes that port itself. */
  static final int PORT = 7070;

  private final KubernetesClient client;
  private final String namespace;
  private final byte[] key;
  private final Set<String> madeConfigMaps = ConcurrentHashMap.newKeySet();

  PodAgents(KubernetesClient client, String namespace, byte[] key) {
    this.client = client;
    this.namespace = namespace;
    this.key = key.clone();
  }

  /** The ConfigMap holding this build's agent binary. */
  static String configMapName() {
    return "execbox-agent-" + AgentBinary.sha256().substring(0, 16);
  }

  /** Creates the ConfigMap of the binary if this process has not seen it yet. */
  void ensureBinary() {
    String name = configMapName();
    if (madeConfigMaps.contains(name)) {
      return;
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.MANAGED, "true");
    ConfigMap cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(labels)
            .endMetadata()
            .withImmutable(true)
            .withBinaryData(
                Map.of("execbox-agent", Base64.getEncoder().encodeToString(AgentBinary.bytes())))
            .build();
    try {
      client.resource(cm).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw new MachineException(
            Kind.RUNTIME,
            "cannot create the agent's ConfigMap " + name + ": " + ApiFailures.message(e),
            e);
      }
    }
    madeConfigMaps.add(name);
  }

  /** The port the agent listens on in a Pod: {@link #PORT}, or the next one the Pod leaves free. */
  static int port(Pod pod) {
    Set<Integer> used = ConcurrentHashMap.newKeySet();
    for (Container c : pod.getSpec().getContainers()) {
      if (c.getPorts() != null) {
        c.getPorts().forEach(p -> used.add(p.getContainerPort()));
      }
    }
    int port = PORT;
    while (used.contains(port)) {
      port++;
    }
    return port;
  }

  /** The agent's port recorded on an agent Pod (its command line), or {@link #PORT}. */
  static int portOf(Pod pod) {
    List<String> cmd = pod.getSpec().getContainers().get(0).getCommand();
    for (int i = 0; cmd != null && i + 1 < cmd.size(); i++) {
      if ("--listen".equals(cmd.get(i))) {
        String l = cmd.get(i + 1);
        return Integer.parseInt(l.substring(l.lastIndexOf(':') + 1));
      }
    }
    return PORT;
  }

  /**
   * The Pod with the agent as its container's PID 1 in front of {@code command}: its binary mounted
   * read-only from the ConfigMap, its secret in its environment, no stdin of its own.
   */
  Pod withAgent(Pod pod, String sessionId, List<String> command) {
    int port = port(pod);
    List<String> argv = new ArrayList<>(List.of(BINARY, "--listen", "127.0.0.1:" + port, "--"));
    argv.addAll(PodSpecs.literal(command));
    PodBuilder b = new PodBuilder(pod);
    b.editMetadata().addToLabels(Labels.AGENT, "true").endMetadata();
    b.editSpec()
        .addToVolumes(
            new VolumeBuilder()
                .withName(VOLUME)
                .withNewConfigMap()
                .withName(configMapName())
                .withDefaultMode(0555)
                .endConfigMap()
                .build())
        .editFirstContainer()
        .withCommand(argv)
        .withArgs()
        .withStdin(false)
        .withStdinOnce(false)
        .addToEnv(new EnvVar(SECRET_ENV, secret(sessionId), null))
        .addToVolumeMounts(
            new VolumeMountBuilder().withName(VOLUME).withMountPath(DIR).withReadOnly(true).build())
        .endContainer()
        .endSpec();
    return b.build();
  }

  static boolean hasAgent(Pod pod) {
    Map<String, String> l = pod.getMetadata().getLabels();
    return l != null && "true".equals(l.get(Labels.AGENT));
  }

  /** The session's agent secret: HMAC-SHA256 of its id under the installation's key, in hex. */
  String secret(String sessionId) {
    return AgentSecrets.derive(key, sessionId);
  }

  /** Dials the agent of the Pod {@code podName} through {@code pods/portforward}. */
  AgentTransport.Dialer dialer(String podName, int port) {
    return () -> {
      Pipe toPod = Pipe.open();
      Pipe fromPod = Pipe.open();
      PortForward pf;
      try {
        pf =
            client
                .pods()
                .inNamespace(namespace)
                .withName(podName)
                .portForward(port, toPod.source(), fromPod.sink());
      } catch (KubernetesClientException e) {
        toPod.sink().close();
        fromPod.source().close();
        throw new IOException("port-forward to pod " + podName + ": " + ApiFailures.message(e), e);
      }
      return AgentTransport.of(
          Channels.newInputStream(fromPod.source()),
          Channels.newOutputStream(toPod.sink()),
          () -> {
            try {
              pf.close();
            } finally {
              toPod.sink().close();
              fromPod.source().close();
            }
          });
    };
  }
}
