package io.execbox.crds;

/** Annotation keys of the Session resource that clients and the operator agree on. */
public final class Annotations {
  /**
   * On a Session: asks for a stop (SIGTERM, then SIGKILL after the grace period); any value, and
   * the API sets it to the time of the request.
   */
  public static final String STOP_REQUESTED = "execbox.io/stop-requested-at";

  private Annotations() {}
}
