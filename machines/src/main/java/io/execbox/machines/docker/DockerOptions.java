package io.execbox.machines.docker;

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
 */
public record DockerOptions(
    PullPolicy pullPolicy, long pidsLimit, String exposeHost, String installation) {
  /** When to pull an image. */
  public enum PullPolicy {
    /** Use local images only; a missing image fails the session. */
    NEVER,
    /** Pull an image that is not present locally, once. */
    MISSING
  }

  public static final long DEFAULT_PIDS_LIMIT = 1024;
  public static final String DEFAULT_EXPOSE_HOST = "127.0.0.1";

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
  }

  public DockerOptions(PullPolicy pullPolicy, long pidsLimit, String exposeHost) {
    this(pullPolicy, pidsLimit, exposeHost, null);
  }

  public static DockerOptions defaults() {
    return new DockerOptions(PullPolicy.NEVER, DEFAULT_PIDS_LIMIT, DEFAULT_EXPOSE_HOST, null);
  }
}
