package io.execbox.crds;

/** Annotation keys of the Session resource and of session Pods. */
public final class Annotations {
  /**
   * On a Session: asks for a stop (SIGTERM, then SIGKILL after the grace period); any value, and
   * the API sets it to the time of the request.
   */
  public static final String STOP_REQUESTED = "execbox.io/stop-requested-at";

  /** On a gated session Pod: its command was released (the value: when, RFC 3339). */
  public static final String COMMAND_RELEASED = "execbox.io/started";

  /** On the Pod of an {@code exposed} session with ports: its Service exists. */
  public static final String EXPOSED = "execbox.io/exposed";

  private Annotations() {}
}
