package io.execbox.machines.kubernetes;

/**
 * Settings of the kubernetes driver.
 *
 * @param namespace where session Pods live
 * @param imagePullPolicy IfNotPresent by default: a {@code :latest} image would otherwise be pulled
 *     on every start
 * @param installation the installation id label, as on the docker backend
 * @param stdioGate hold a session's command until the control plane has attached to the Pod, so
 *     that its first byte reaches the attach with stdout and stderr apart (see {@link
 *     PodSpecs#GATE}); needs {@code /bin/sh} in the image
 * @param cpuRequestPercent the CPU a Pod requests, in percent of its limit: sandboxes mostly wait,
 *     so the scheduler may pack them (memory is requested in full: it cannot be taken back)
 * @param runAsUser when set, every session runs as this user id and group (never root:
 *     runAsNonRoot), whatever user its image names; null: the image's own user
 * @param agent run the in-machine agent as each Pod's PID 1 in front of the session's command
 *     (docs/AGENT.md), which needs nothing from the image; an image's default command (no command
 *     given) still runs without it, as its entrypoint is not known here
 */
public record PodOptions(
    String namespace,
    String imagePullPolicy,
    String installation,
    boolean stdioGate,
    int cpuRequestPercent,
    Long runAsUser,
    boolean agent) {
  /** Default of {@link #cpuRequestPercent}. */
  public static final int DEFAULT_CPU_REQUEST_PERCENT = 10;

  public PodOptions {
    if (namespace == null || namespace.isBlank()) {
      namespace = "execbox";
    }
    if (imagePullPolicy == null || imagePullPolicy.isBlank()) {
      imagePullPolicy = "IfNotPresent";
    }
    if (runAsUser != null && runAsUser < 1) {
      throw new IllegalArgumentException("runAsUser must be a non-root user id, not " + runAsUser);
    }
    if (cpuRequestPercent < 1 || cpuRequestPercent > 100) {
      throw new IllegalArgumentException(
          "cpuRequestPercent must be 1..100, not " + cpuRequestPercent);
    }
  }

  public PodOptions(
      String namespace,
      String imagePullPolicy,
      String installation,
      boolean stdioGate,
      int cpuRequestPercent,
      Long runAsUser) {
    this(namespace, imagePullPolicy, installation, stdioGate, cpuRequestPercent, runAsUser, true);
  }

  public PodOptions(String namespace, String imagePullPolicy, String installation) {
    this(namespace, imagePullPolicy, installation, true, DEFAULT_CPU_REQUEST_PERCENT, null, true);
  }

  /** Whether a session's Pod runs its command behind the agent: when it names its command. */
  public boolean agentFor(io.execbox.crds.SessionSpec spec) {
    return agent && spec.getCommand() != null && !spec.getCommand().isEmpty();
  }
}
