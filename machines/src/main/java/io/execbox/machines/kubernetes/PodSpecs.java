package io.execbox.machines.kubernetes;

import io.execbox.crds.Annotations;
import io.execbox.crds.FileSpec;
import io.execbox.crds.Labels;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineOwner;
import io.execbox.machines.MachineSpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The desired Kubernetes objects of a session, as pure functions of its spec: the Pod, the Secret
 * holding its files, the Service of its ports and the NetworkPolicy of its network mode, all of
 * them at once from {@link #objects}. No client, no cluster: KubernetesBackend creates those of
 * them that do not exist yet, and never updates one.
 */
public final class PodSpecs {
  /** The container's name inside the Pod. */
  public static final String CONTAINER = "session";

  static final String FILES_VOLUME = "session-files";

  /** Annotation set on a gated Pod once its command was released (its value: when). */
  public static final String STARTED_ANNOTATION = Annotations.COMMAND_RELEASED;

  /** Annotation on the Pod of an {@code exposed} session with ports: its Service exists. */
  public static final String EXPOSED_ANNOTATION = Annotations.EXPOSED;

  /** Label value of {@link #GATED_LABEL} on Pods whose command waits for the gate line. */
  public static final String GATED_LABEL = Labels.STDIO_GATE;

  /** Prefix of the termination message the gate writes when the command cannot start. */
  public static final String GATE_FAILURE = "execbox: ";

  /**
   * The stdio gate: a shell that waits for one line on stdin, which the control plane sends once
   * its attach is connected, then {@code exec}s the session's command in its place (same PID, same
   * stdio, same exit code). Without it the command runs from the moment the container starts,
   * before any attach can connect, and its first bytes would reach only the log, where stdout and
   * stderr are merged. A command that is not there fails the session with a reason rather than
   * exiting 127. The in-machine agent replaces this.
   */
  static final String GATE =
      "IFS= read -r go || { printf '%sstdin closed before the command started' '"
          + GATE_FAILURE
          + "' >/dev/termination-log; exit 125; }; "
          + "command -v \"$1\" >/dev/null 2>&1 || { printf '%scommand not found: %s' '"
          + GATE_FAILURE
          + "' \"$1\" >/dev/termination-log; exit 127; }; exec \"$@\"";

  /**
   * Ranges a Pod with network "outgoing" may not reach: private networks and link-local metadata.
   */
  static final List<String> PRIVATE_RANGES =
      List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10");

  /** How much later than the session's deadline its Pod's own deadline falls. */
  static final Duration DEADLINE_MARGIN = Duration.ofSeconds(5);

  private PodSpecs() {}

  /**
   * Every object the session needs: its Pod, the Secret of its files and the Service of its ports
   * when it has them, and the shared NetworkPolicy of its network mode. The Pod's own deadline
   * ({@code activeDeadlineSeconds}, counted from about {@code now}) falls a few seconds after the
   * session's: the lifecycle normally acts first, the kubelet holds even without it.
   */
  public static DesiredObjects objects(MachineSpec m, PodOptions o, Instant now) {
    return new DesiredObjects(
        pod(m, o, deadlineSeconds(m.deadlineAt(), now)),
        filesSecret(m, o),
        service(m, o),
        networkPolicy(m.spec().networkOrDefault(), o));
  }

  /** Whole seconds from {@code now} to the session's deadline, rounded up, plus the margin. */
  static long deadlineSeconds(Instant deadlineAt, Instant now) {
    long ms = Math.max(0, Duration.between(now, deadlineAt).toMillis());
    return (ms + 999) / 1000 + DEADLINE_MARGIN.toSeconds();
  }

  /**
   * {@code s} as Kubernetes passes it on unchanged: the kubelet expands {@code $(NAME)} in a
   * container's command, args and env values, and turns {@code $$} into {@code $}; other runtimes
   * expand nothing, so every {@code $} is doubled.
   */
  static String literal(String s) {
    return s == null ? null : s.replace("$", "$$");
  }

  /** Each of {@code argv}, as {@link #literal(String)}. */
  static List<String> literal(List<String> argv) {
    List<String> out = new ArrayList<>(argv.size());
    argv.forEach(a -> out.add(literal(a)));
    return out;
  }

  /** The name of the Secret holding a session's files. */
  public static String filesSecretName(String sessionId) {
    return name(sessionId) + "-files";
  }

  /** Pod and object name of a session: {@code sess-<hex>}. */
  public static String name(String sessionId) {
    return SessionIds.objectName(sessionId);
  }

  /** Labels every object of the session carries. */
  public static Map<String, String> labels(MachineSpec m, PodOptions o) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put(Labels.MANAGED, "true");
    l.put(Labels.SESSION, m.sessionId());
    l.put(Labels.OWNER, m.ownerId());
    if (o.installation() != null) {
      l.put(Labels.INSTALLATION, o.installation());
    }
    return l;
  }

  /**
   * The session's Pod: one container with stdin open for attach, never restarted, its deadline as
   * {@code activeDeadlineSeconds}, no service account token, seccomp RuntimeDefault, all
   * capabilities dropped, no privilege escalation; files from the session's Secret, each mounted
   * with {@code subPath} so the image's other files in the same directory stay visible.
   */
  public static Pod pod(MachineSpec m, PodOptions o, long deadlineSeconds) {
    SessionSpec spec = m.spec();
    ContainerBuilder c =
        new ContainerBuilder()
            .withName(CONTAINER)
            .withImage(spec.getImage())
            .withImagePullPolicy(o.imagePullPolicy())
            .withStdin(true)
            .withStdinOnce(true)
            .withTty(false)
            .withNewResources()
            .addToLimits("cpu", new Quantity(m.cpuMillis() + "m"))
            .addToLimits("memory", new Quantity(m.memoryMB() + "Mi"))
            .addToRequests(
                "cpu", new Quantity(Math.max(1, m.cpuMillis() * o.cpuRequestPercent() / 100) + "m"))
            .addToRequests("memory", new Quantity(m.memoryMB() + "Mi"))
            .endResources()
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withNewCapabilities()
            .withDrop("ALL")
            .endCapabilities()
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext();
    if (gated(spec, o)) {
      List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", GATE, "execbox-gate"));
      command.addAll(literal(spec.getCommand()));
      c.withCommand(command);
    } else if (spec.getCommand() != null) {
      c.withCommand(literal(spec.getCommand()));
    }
    if (spec.getPorts() != null) {
      for (var port : spec.getPorts()) {
        c.addNewPort()
            .withContainerPort(port.getContainer())
            .withProtocol(port.protocolOrDefault().toUpperCase(java.util.Locale.ROOT))
            .endPort();
      }
    }
    if (spec.getWorkDir() != null) {
      c.withWorkingDir(spec.getWorkDir());
    }
    if (spec.getEnv() != null) {
      List<EnvVar> env = new ArrayList<>();
      new TreeMap<>(spec.getEnv()).forEach((k, v) -> env.add(new EnvVar(k, literal(v), null)));
      c.withEnv(env);
    }
    List<FileSpec> files = spec.getFiles() == null ? List.of() : spec.getFiles();
    List<VolumeMount> mounts = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      mounts.add(
          new VolumeMountBuilder()
              .withName(FILES_VOLUME)
              .withMountPath(files.get(i).getPath())
              .withSubPath(fileKey(i))
              .withReadOnly(true)
              .build());
    }
    c.withVolumeMounts(mounts);
    ObjectMeta meta = metadata(name(m.sessionId()), m, o);
    meta.getLabels()
        .put(NETWORK_LABEL, spec.networkOrDefault().name().toLowerCase(java.util.Locale.ROOT));
    if (gated(spec, o)) {
      meta.getLabels().put(GATED_LABEL, "true");
    }
    if (service(m, o) != null) {
      meta.setAnnotations(new LinkedHashMap<>(Map.of(EXPOSED_ANNOTATION, "true")));
    }
    PodBuilder p =
        new PodBuilder()
            .withMetadata(meta)
            .withNewSpec()
            .withRestartPolicy("Never")
            .withAutomountServiceAccountToken(false)
            .withEnableServiceLinks(false)
            .withActiveDeadlineSeconds(Math.max(1, deadlineSeconds))
            .withSecurityContext(
                o.runAsUser() == null
                    ? null
                    : new io.fabric8.kubernetes.api.model.PodSecurityContextBuilder()
                        .withRunAsNonRoot(true)
                        .withRunAsUser(o.runAsUser())
                        .withRunAsGroup(o.runAsUser())
                        .build())
            .withContainers(c.build())
            .endSpec();
    if (!files.isEmpty()) {
      p.editSpec()
          .addNewVolume()
          .withName(FILES_VOLUME)
          .withNewSecret()
          .withSecretName(filesSecretName(m.sessionId()))
          .withDefaultMode(0644)
          .endSecret()
          .endVolume()
          .endSpec();
    }
    return p.build();
  }

  /**
   * Whether the session's Pod runs its command behind the stdio gate: only when it names its
   * command (an image's default command is not known here), the gate is enabled and the agent is
   * not (which keeps the output from the first byte by itself).
   */
  public static boolean gated(SessionSpec spec, PodOptions o) {
    return o.stdioGate() && !o.agent() && spec.getCommand() != null && !spec.getCommand().isEmpty();
  }

  /** The Service of an {@code exposed} session's ports; null for the other modes or no ports. */
  public static Service service(MachineSpec m, PodOptions o) {
    SessionSpec spec = m.spec();
    if (spec.networkOrDefault() != NetworkMode.EXPOSED
        || spec.getPorts() == null
        || spec.getPorts().isEmpty()) {
      return null;
    }
    ServiceBuilder b =
        new ServiceBuilder()
            .withMetadata(metadata(name(m.sessionId()), m, o))
            .withNewSpec()
            .addToSelector(Labels.SESSION, m.sessionId())
            .endSpec();
    for (var port : spec.getPorts()) {
      String protocol = port.protocolOrDefault().toUpperCase(java.util.Locale.ROOT);
      b.editSpec()
          .addNewPort()
          .withName(protocol.toLowerCase(java.util.Locale.ROOT) + "-" + port.getContainer())
          .withPort(port.getContainer())
          .withNewTargetPort(port.getContainer())
          .withProtocol(protocol)
          .endPort()
          .endSpec();
    }
    return b.build();
  }

  /** The Secret with the session's files, one key per file; null when there are none. */
  public static Secret filesSecret(MachineSpec m, PodOptions o) {
    List<FileSpec> files = m.spec().getFiles();
    if (files == null || files.isEmpty()) {
      return null;
    }
    Map<String, String> data = new LinkedHashMap<>();
    for (int i = 0; i < files.size(); i++) {
      data.put(fileKey(i), Base64.getEncoder().encodeToString(files.get(i).bytes()));
    }
    return new SecretBuilder()
        .withMetadata(metadata(filesSecretName(m.sessionId()), m, o))
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /** Label naming a session Pod's network mode, which selects its NetworkPolicy. */
  public static final String NETWORK_LABEL = Labels.NETWORK;

  /**
   * The NetworkPolicy of one network mode, shared by every session Pod of that mode in the
   * namespace (selected by {@link #NETWORK_LABEL}): one object per mode rather than one per
   * session, so that a session costs the apiserver one write less. {@code none} denies all egress;
   * {@code outgoing} and {@code exposed} allow egress except private ranges and the metadata
   * address, and the cluster's DNS (Pods labelled {@code k8s-app=kube-dns}, port 53).
   */
  public static NetworkPolicy networkPolicy(NetworkMode mode, PodOptions o) {
    String value = mode.name().toLowerCase(java.util.Locale.ROOT);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.MANAGED, "true");
    NetworkPolicyBuilder b =
        new NetworkPolicyBuilder()
            .withNewMetadata()
            .withName("execbox-network-" + value)
            .withNamespace(o.namespace())
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withNewPodSelector()
            .addToMatchLabels(NETWORK_LABEL, value)
            .endPodSelector()
            .withPolicyTypes("Egress")
            .endSpec();
    if (mode != NetworkMode.NONE) {
      b.editSpec()
          .addNewEgress()
          .addNewTo()
          .withNewIpBlock()
          .withCidr("0.0.0.0/0")
          .withExcept(PRIVATE_RANGES)
          .endIpBlock()
          .endTo()
          .endEgress()
          // The cluster's DNS lives in a private range: allow it by its Pods' conventional label.
          .addNewEgress()
          .addNewTo()
          .withNewNamespaceSelector()
          .endNamespaceSelector()
          .withNewPodSelector()
          .addToMatchLabels("k8s-app", "kube-dns")
          .endPodSelector()
          .endTo()
          .addNewPort()
          .withProtocol("UDP")
          .withNewPort(53)
          .endPort()
          .addNewPort()
          .withProtocol("TCP")
          .withNewPort(53)
          .endPort()
          .endEgress()
          .endSpec();
    }
    return b.build();
  }

  /**
   * Name, namespace, labels and owner of every object of the session; without an owner (standalone
   * mode, where no Session resource exists) the objects are removed by name and label.
   */
  private static ObjectMeta metadata(String name, MachineSpec m, PodOptions o) {
    ObjectMetaBuilder b =
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(o.namespace())
            .withLabels(labels(m, o));
    if (m.owner() != null) {
      b.withOwnerReferences(ownerReference(m.owner()));
    }
    return b.build();
  }

  private static String fileKey(int i) {
    return "file-" + i;
  }

  private static OwnerReference ownerReference(MachineOwner owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.apiVersion())
        .withKind(owner.kind())
        .withName(owner.name())
        .withUid(owner.uid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }
}
