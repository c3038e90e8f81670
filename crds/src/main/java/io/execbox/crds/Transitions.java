package io.execbox.crds;

/**
 * What a client's request does to a session, decided from its phase alone: the contract's rules for
 * stop and delete. Pure; the store only writes what this decides, under the row's lock. (What the
 * machine drives — start, exit, deadline — is the operator's {@code Lifecycle.decide}; the api
 * cannot reach the operator, so the rules a request applies live here, in the contract.)
 */
public final class Transitions {
  private Transitions() {}

  /**
   * @param phase the session's phase afterwards
   * @param endsNow the session ends with this request: its end time is now
   * @param reason the reason recorded with the change, or null
   * @param accepted false when the request is refused (409): the session already ended otherwise
   */
  public record Requested(SessionPhase phase, boolean endsNow, String reason, boolean accepted) {}

  /**
   * A stop: an active session is {@code stopped} at once (its machine gets SIGTERM, then SIGKILL
   * after the grace period); a stopped one stays so and the stop is answered again; a killed or
   * failed one cannot be stopped.
   */
  public static Requested stop(SessionPhase phase) {
    if (phase.isActive()) {
      return new Requested(SessionPhase.STOPPED, true, null, true);
    }
    return new Requested(phase, false, null, phase == SessionPhase.STOPPED);
  }

  /**
   * A delete: an active session is {@code killed} at once with reason {@code deleted}; any
   * session's machine is then destroyed. Never refused, and the final phase of an ended session
   * does not change.
   */
  public static Requested kill(SessionPhase phase) {
    if (phase.isActive()) {
      return new Requested(SessionPhase.KILLED, true, "deleted", true);
    }
    return new Requested(phase, false, null, true);
  }
}
