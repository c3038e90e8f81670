package io.execbox.machines.docker;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Settings of the docker backend.
 *
 * @param pullPolicy whether a missing image is pulled; NEVER by default, because pulling sends
 *     traffic to a registry
 * @param pidsLimit the most processes a container may run, against fork bombs
 * @param exposeHost the host address published ports bind to; loopback unless an operator opens it
 * @param installation labels every container with this installation's id, and limits {@code list()}
 *     to them, so two installations sharing one runtime never sweep each other's machines; null for
 *     no such label
 * @param network where {@code outgoing} and {@code exposed} sessions run, and whether the host's
 *     packet filter keeps them off private ranges and the host itself
 * @param sandbox what a session's container may do
 */
public record DockerOptions(
    PullPolicy pullPolicy,
    long pidsLimit,
    String exposeHost,
    String installation,
    Network network,
    Sandbox sandbox) {
  /** When to pull an image. */
  public enum PullPolicy {
    /** Use local images only; a missing image fails the session. */
    NEVER,
    /** Pull an image that is not present locally, once. */
    MISSING
  }

  public static final long DEFAULT_PIDS_LIMIT = 1024;
  public static final String DEFAULT_EXPOSE_HOST = "127.0.0.1";
  public static final String DEFAULT_NETWORK = "execbox";
  public static final long DEFAULT_TMP_SIZE = 256L * 1024 * 1024;

  /**
   * What a root shell needs to work on files in its own container: CHOWN and FOWNER to set owners
   * and modes of files it did not create, DAC_OVERRIDE to read and write regardless of permission
   * bits (package managers and build tools expect root to), SETUID and SETGID to drop to another
   * user (su, setpriv, installers), KILL to signal those processes. Everything else of the
   * runtime's default set is dropped: MKNOD (devices), NET_RAW (crafted packets on the bridge),
   * SYS_CHROOT, SETPCAP, SETFCAP, FSETID, AUDIT_WRITE.
   */
  public static final List<String> DEFAULT_CAPABILITIES =
      List.of("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL");

  public DockerOptions {
    if (pullPolicy == null) {
      pullPolicy = PullPolicy.NEVER;
    }
    if (pidsLimit <= 0) {
      throw new IllegalArgumentException("pidsLimit must be positive: " + pidsLimit);
    }
    if (exposeHost == null || exposeHost.isBlank()) {
      exposeHost = DEFAULT_EXPOSE_HOST;
    }
    if (network == null) {
      network = Network.defaults();
    }
    if (sandbox == null) {
      sandbox = Sandbox.defaults();
    }
  }

  public DockerOptions(
      PullPolicy pullPolicy, long pidsLimit, String exposeHost, String installation) {
    this(pullPolicy, pidsLimit, exposeHost, installation, null, null);
  }

  public DockerOptions(PullPolicy pullPolicy, long pidsLimit, String exposeHost) {
    this(pullPolicy, pidsLimit, exposeHost, null);
  }

  public static DockerOptions defaults() {
    return new DockerOptions(PullPolicy.NEVER, DEFAULT_PIDS_LIMIT, DEFAULT_EXPOSE_HOST, null);
  }

  public DockerOptions withNetwork(Network n) {
    return new DockerOptions(pullPolicy, pidsLimit, exposeHost, installation, n, sandbox);
  }

  public DockerOptions withSandbox(Sandbox s) {
    return new DockerOptions(pullPolicy, pidsLimit, exposeHost, installation, network, s);
  }

  /**
   * The network of {@code outgoing} and {@code exposed} sessions.
   *
   * @param name a bridge network of the runtime, created when missing
   * @param filtered whether the host's packet filter (nftables) keeps sessions on it away from
   *     private, link-local and shared address ranges and from the host's own addresses
   */
  public record Network(String name, boolean filtered) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public Network {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "the network name must be 1 to 64 of A-Z a-z 0-9 _ . - (not starting with one of _ . -): "
                + name);
      }
    }

    public static Network defaults() {
      return new Network(DEFAULT_NETWORK, true);
    }
  }

  /** Whether a session's container gets a user namespace of its own. */
  public enum Userns {
    /**
     * On Podman, a namespace of its own per container ({@code userns=auto}: root inside is an
     * unprivileged uid of the host, from the {@code containers} range of /etc/subuid); Docker has
     * no per-container choice (its daemon's {@code userns-remap} decides).
     */
    AUTO,
    /** The host's: root in the container is root on the host, held back by capabilities only. */
    HOST
  }

  /**
   * What a session's container may do.
   *
   * @param userns whether it gets a user namespace of its own
   * @param user {@code uid} or {@code uid:gid} the command runs as, whatever the image names; null
   *     for the image's own user
   * @param readOnlyRoot whether the root filesystem is read-only (files of a session then go to
   *     {@code /tmp} only)
   * @param tmpSize bytes of a tmpfs mounted on {@code /tmp} (it counts against the memory limit); 0
   *     for the image's own {@code /tmp} on the container's writable layer
   * @param capabilities the capabilities the command keeps; every other one is dropped
   */
  public record Sandbox(
      Userns userns, String user, boolean readOnlyRoot, long tmpSize, List<String> capabilities) {
    private static final Pattern USER = Pattern.compile("[0-9]{1,10}(:[0-9]{1,10})?");
    private static final Pattern CAPABILITY = Pattern.compile("[A-Z_]{2,32}");

    public Sandbox {
      if (userns == null) {
        userns = Userns.HOST;
      }
      if (user != null && user.isBlank()) {
        user = null;
      }
      if (user != null && !USER.matcher(user).matches()) {
        throw new IllegalArgumentException("the user must be uid or uid:gid in digits: " + user);
      }
      if (tmpSize < 0) {
        throw new IllegalArgumentException("the /tmp size must be 0 or more: " + tmpSize);
      }
      if (readOnlyRoot && tmpSize == 0) {
        throw new IllegalArgumentException(
            "a read-only root filesystem needs a /tmp (a size above 0) for the session's files");
      }
      capabilities =
          capabilities == null
              ? DEFAULT_CAPABILITIES
              : capabilities.stream()
                  .map(c -> c.strip().toUpperCase(Locale.ROOT))
                  .map(c -> c.startsWith("CAP_") ? c.substring(4) : c)
                  .filter(c -> !c.isEmpty())
                  .toList();
      for (String c : capabilities) {
        if (!CAPABILITY.matcher(c).matches()) {
          throw new IllegalArgumentException("not a capability name: " + c);
        }
      }
    }

    public static Sandbox defaults() {
      // not AUTO by default: Podman 4.3 stops answering under a handful of concurrent userns=auto
      // creates (the fault suite's quota check: its API hung within a minute; host: 100/100 ran)
      return new Sandbox(Userns.HOST, null, false, DEFAULT_TMP_SIZE, DEFAULT_CAPABILITIES);
    }
  }
}
