package io.execbox.machines.kubernetes;

import io.execbox.crds.FileSpec;
import io.execbox.crds.Labels;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
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
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The desired Kubernetes objects of a session, as pure functions of its spec: the Pod, the Secret
 * holding its files, and the NetworkPolicy of its network mode. No client, no cluster: the
 * reconciler compares these with what exists.
 */
public final class PodSpecs {
  /** The container's name inside the Pod. */
  public static final String CONTAINER = "session";

  static final String FILES_VOLUME = "session-files";

  /**
   * Ranges a Pod with network "outgoing" may not reach: private networks and link-local metadata.
   */
  static final List<String> PRIVATE_RANGES =
      List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10");

  private PodSpecs() {}

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
  public static Pod pod(MachineSpec m, PodOptions o, Owner owner, long deadlineSeconds) {
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
            .addToRequests("cpu", new Quantity(m.cpuMillis() + "m"))
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
    if (spec.getCommand() != null) {
      c.withCommand(spec.getCommand());
    }
    if (spec.getWorkDir() != null) {
      c.withWorkingDir(spec.getWorkDir());
    }
    if (spec.getEnv() != null) {
      List<EnvVar> env = new ArrayList<>();
      new TreeMap<>(spec.getEnv()).forEach((k, v) -> env.add(new EnvVar(k, v, null)));
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
    PodBuilder p =
        new PodBuilder()
            .withMetadata(metadata(name(m.sessionId()), m, o, owner))
            .withNewSpec()
            .withRestartPolicy("Never")
            .withAutomountServiceAccountToken(false)
            .withEnableServiceLinks(false)
            .withActiveDeadlineSeconds(Math.max(1, deadlineSeconds))
            .withContainers(c.build())
            .endSpec();
    if (!files.isEmpty()) {
      p.editSpec()
          .addNewVolume()
          .withName(FILES_VOLUME)
          .withNewSecret()
          .withSecretName(name(m.sessionId()) + "-files")
          .withDefaultMode(0644)
          .endSecret()
          .endVolume()
          .endSpec();
    }
    return p.build();
  }

  /** The Secret with the session's files, one key per file; null when there are none. */
  public static Secret filesSecret(MachineSpec m, PodOptions o, Owner owner) {
    List<FileSpec> files = m.spec().getFiles();
    if (files == null || files.isEmpty()) {
      return null;
    }
    Map<String, String> data = new LinkedHashMap<>();
    for (int i = 0; i < files.size(); i++) {
      data.put(fileKey(i), Base64.getEncoder().encodeToString(files.get(i).bytes()));
    }
    return new SecretBuilder()
        .withMetadata(metadata(name(m.sessionId()) + "-files", m, o, owner))
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /**
   * The NetworkPolicy of the session's Pod: {@code none} denies all egress; {@code outgoing} and
   * {@code exposed} allow egress except private ranges and the metadata address.
   */
  public static NetworkPolicy networkPolicy(MachineSpec m, PodOptions o, Owner owner) {
    NetworkMode mode = m.spec().networkOrDefault();
    NetworkPolicyBuilder b =
        new NetworkPolicyBuilder()
            .withMetadata(metadata(name(m.sessionId()), m, o, owner))
            .withNewSpec()
            .withNewPodSelector()
            .addToMatchLabels(Labels.SESSION, m.sessionId())
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
          .endSpec();
    }
    return b.build();
  }

  /** Name, namespace, labels and owner of every object of the session. */
  private static ObjectMeta metadata(String name, MachineSpec m, PodOptions o, Owner owner) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(o.namespace())
        .withLabels(labels(m, o))
        .withOwnerReferences(ownerReference(owner))
        .build();
  }

  private static String fileKey(int i) {
    return "file-" + i;
  }

  private static OwnerReference ownerReference(Owner owner) {
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
