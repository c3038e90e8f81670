package io.execbox.machines.docker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.crds.Labels;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.PortSpec;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Pure functions from a session to the Engine API's container configuration. */
final class ContainerRequests {
  /**
   * Exposed sessions may also listen below 1024 (port 80 is the usual ask): Podman leaves {@code
   * ip_unprivileged_port_start} at 1024. It only concerns the container's own network namespace.
   */
  static final String EXPOSED_EXTRA_CAPABILITY = "NET_BIND_SERVICE";

  private static final Set<String> PROTOCOLS = Set.of("tcp", "udp", "sctp");
  private static final long MIB = 1024L * 1024L;

  private ContainerRequests() {}

  /** {@code execbox-sess-<hex>}: derived from the session, so a retried create finds it. */
  static String containerName(String sessionId) {
    if (!SessionIds.isValid(sessionId)) {
      throw new MachineException(Kind.INVALID_SPEC, "not a session id: " + sessionId);
    }
    return "execbox-" + SessionIds.objectName(sessionId);
  }

  /** The body of {@code POST /containers/create} on Docker. */
  static ObjectNode create(MachineSpec m, DockerOptions options) {
    return create(m, options, false);
  }

  /**
   * The body of {@code POST /containers/create}; {@code podman} says whether the runtime is Podman,
   * which has a user namespace per container.
   */
  static ObjectNode create(MachineSpec m, DockerOptions options, boolean podman) {
    SessionSpec spec = m.spec();
    if (spec.getImage() == null || spec.getImage().isBlank()) {
      throw new MachineException(Kind.INVALID_SPEC, "image is required");
    }
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("Image", spec.getImage());
    if (spec.getCommand() != null) {
      ArrayNode cmd = c.putArray("Cmd");
      spec.getCommand().forEach(cmd::add);
    }
    if (spec.getEnv() != null && !spec.getEnv().isEmpty()) {
      ArrayNode env = c.putArray("Env");
      for (Map.Entry<String, String> e : spec.getEnv().entrySet()) {
        String key = e.getKey();
        if (key == null || key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
          throw new MachineException(Kind.INVALID_SPEC, "bad environment variable name: " + key);
        }
        env.add(key + "=" + (e.getValue() == null ? "" : e.getValue()));
      }
    }
    if (spec.getWorkDir() != null && !spec.getWorkDir().isEmpty()) {
      if (!spec.getWorkDir().startsWith("/")) {
        throw new MachineException(
            Kind.INVALID_SPEC, "workDir must be absolute: " + spec.getWorkDir());
      }
      c.put("WorkingDir", spec.getWorkDir());
    }
    ObjectNode labels = c.putObject("Labels");
    labels.put(Labels.MANAGED, "true");
    labels.put(Labels.SESSION, m.sessionId());
    labels.put(Labels.OWNER, m.ownerId());
    if (options.installation() != null) {
      labels.put(Labels.INSTALLATION, options.installation());
    }
    // Attach before start and stdin with half-close: the first output byte and stdin EOF reach us.
    c.put("Tty", false);
    c.put("OpenStdin", true);
    c.put("StdinOnce", true);
    c.put("AttachStdin", true);
    c.put("AttachStdout", true);
    c.put("AttachStderr", true);

    ObjectNode host = c.putObject("HostConfig");
    if (m.memoryMB() > 0) {
      host.put("Memory", m.memoryMB() * MIB);
      host.put("MemorySwap", m.memoryMB() * MIB);
    }
    if (m.cpuMillis() > 0) {
      host.put("NanoCpus", m.cpuMillis() * 1_000_000L);
    }
    host.put("PidsLimit", options.pidsLimit());
    ArrayNode caps = sandbox(c, host, options.sandbox(), podman);
    // Never AutoRemove: the exit code would go with the container.
    host.put("AutoRemove", false);
    // The runtime's init (Podman's catatonit, Docker's docker-init) is PID 1 and the command its
    // child: PID 1 ignores a signal it has no handler for, so a stop's SIGTERM would not end an
    // untrapped command until the grace period's SIGKILL. The init passes signals on, reaps
    // orphans and exits with the command's code (128 + the signal that ended it). It comes from
    // the host, so it works in any image.
    host.put("Init", true);

    NetworkMode network = spec.networkOrDefault();
    if (network == NetworkMode.NONE) {
      host.put("NetworkMode", "none");
    } else if (network == NetworkMode.EXPOSED) {
      caps.add(EXPOSED_EXTRA_CAPABILITY);
      List<PortSpec> ports = spec.getPorts() == null ? List.of() : spec.getPorts();
      ObjectNode exposed = c.putObject("ExposedPorts");
      ObjectNode bindings = host.putObject("PortBindings");
      for (PortSpec p : ports) {
        String key = portKey(p);
        exposed.putObject(key);
        ArrayNode binding = bindings.putArray(key);
        // An empty HostPort asks the runtime for a free one.
        binding.addObject().put("HostIp", options.exposeHost()).put("HostPort", "");
      }
    }
    if (network != NetworkMode.NONE) {
      // The network execbox manages (ManagedNetwork), filtered by the host (EgressFilter).
      host.put("NetworkMode", options.network().name());
    }
    return c;
  }

  /**
   * No capability beyond the sandbox's list, no privilege gained through setuid files, the user and
   * user namespace it names, a size-bounded tmpfs on /tmp and optionally a read-only root; returns
   * the capabilities added, for the network's to join them.
   */
  private static ArrayNode sandbox(
      ObjectNode c, ObjectNode host, DockerOptions.Sandbox s, boolean podman) {
    host.putArray("CapDrop").add("ALL");
    ArrayNode caps = host.putArray("CapAdd");
    host.putArray("SecurityOpt").add("no-new-privileges");
    if (s.user() != null) {
      // Podman would make added capabilities effective for a non-root user too (DAC_OVERRIDE would
      // let uid 1000 write anywhere): a configured user keeps none.
      c.put("User", s.user());
    } else {
      s.capabilities().forEach(caps::add);
    }
    if (podman && s.userns() == DockerOptions.Userns.AUTO) {
      host.put("UsernsMode", "auto");
    }
    if (s.tmpSize() > 0) {
      // Podman copies what the image (and the session's files) put in /tmp into the tmpfs.
      host.putObject("Tmpfs").put("/tmp", "rw,nosuid,nodev,mode=1777,size=" + s.tmpSize());
    }
    if (s.readOnlyRoot()) {
      host.put("ReadonlyRootfs", true);
    }
    return caps;
  }

  static String portKey(PortSpec p) {
    Integer port = p.getContainer();
    if (port == null || port < 1 || port > 65535) {
      throw new MachineException(Kind.INVALID_SPEC, "port must be 1 to 65535: " + port);
    }
    String proto = p.protocolOrDefault();
    if (!PROTOCOLS.contains(proto)) {
      throw new MachineException(Kind.INVALID_SPEC, "port protocol must be tcp or udp: " + proto);
    }
    return port + "/" + proto;
  }

  /**
   * {@code fromImage} and {@code tag} for a pull: without a tag Docker would pull every tag of the
   * repository.
   */
  static String[] pullParameters(String image) {
    int at = image.indexOf('@');
    if (at >= 0) {
      return new String[] {image.substring(0, at), image.substring(at + 1)};
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    if (colon > slash) {
      return new String[] {image.substring(0, colon), image.substring(colon + 1)};
    }
    return new String[] {image, "latest"};
  }
}
