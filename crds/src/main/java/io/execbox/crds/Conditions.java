package io.execbox.crds;

/** Condition types and reasons of a Session's status, as {@code kubectl describe} shows them. */
public final class Conditions {
  /** Whether the command has started. */
  public static final String STARTED = "Started";

  /** Whether the session reached a terminal phase. */
  public static final String FINISHED = "Finished";

  /** {@link #STARTED} is True: the command ran. */
  public static final String COMMAND_STARTED = "CommandStarted";

  /** {@link #STARTED} is False and will stay so: the session failed before its command ran. */
  public static final String COULD_NOT_START = "CouldNotStart";

  /** {@link #STARTED} is False for now: the machine is being prepared. */
  public static final String PENDING = "Pending";

  /** Whether the operator's last step for the session went through. */
  public static final String RECONCILED = "Reconciled";

  /** {@link #RECONCILED} is True. */
  public static final String STEP_SUCCEEDED = "StepSucceeded";

  /**
   * {@link #RECONCILED} is False: the operator's last step failed (the database or the backend did
   * not answer as they should); the message says why, and the step is retried with backoff.
   */
  public static final String STEP_FAILED = "StepFailed";

  private Conditions() {}
}
