package io.execbox.crds;

/** Label and annotation keys that every machine of a session carries, on every backend. */
public final class Labels {
  /** Present (value "true") on every machine execbox manages; the sweep looks only at these. */
  public static final String MANAGED = "io.execbox.managed";

  /**
   * The session id ({@code sess_<hex>}), on a session's machines and on its Session resource (so
   * that {@code kubectl get sessions,pods -l io.execbox.session=<id>} finds both, whatever the
   * resource is named).
   */
  public static final String SESSION = "io.execbox.session";

  /**
   * The installation (one database) that made the machine: sweeps touch only their own, so two
   * installations can share a runtime.
   */
  public static final String INSTALLATION = "io.execbox.installation";

  /** The owning account id. */
  public static final String OWNER = "io.execbox.owner";

  /** On a session Pod: its network mode ({@code none}, {@code outgoing}, {@code exposed}). */
  public static final String NETWORK = "execbox.io/network";

  /** On a session Pod whose command waits for the stdio gate's go line: {@code true}. */
  public static final String STDIO_GATE = "execbox.io/stdio-gate";

  /**
   * On a session Pod whose PID 1 is the in-machine agent ({@code true}): its stdio is reached
   * through the agent, not the Pod's attach or log.
   */
  public static final String AGENT = "execbox.io/agent";

  private Labels() {}
}
