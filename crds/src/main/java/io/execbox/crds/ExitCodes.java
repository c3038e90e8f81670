package io.execbox.crds;

/** Exit codes the contract gives meaning to. */
public final class ExitCodes {
  /** A command killed by SIGKILL (a kill, a delete, the deadline, the memory limit). */
  public static final int KILLED = 137;

  /** A command ended by SIGTERM (a stop). */
  public static final int TERMINATED = 143;

  private ExitCodes() {}

  /**
   * The exit code a finished session reports to attach clients: its own; for a command that never
   * ran, {@link #KILLED} when the session was killed and {@link #TERMINATED} when it was stopped;
   * none when it failed or has not ended.
   */
  public static Integer reported(SessionPhase phase, Integer exitCode) {
    if (exitCode != null) {
      return exitCode;
    }
    return switch (phase) {
      case KILLED -> KILLED;
      case STOPPED -> TERMINATED;
      default -> null;
    };
  }
}
