package io.execbox.machines;

/** A backend failure, classified so that the lifecycle can fail a session or retry. */
public class MachineException extends RuntimeException {
  /** What kind of failure. */
  public enum Kind {
    /** The image does not exist and cannot be pulled: the session fails. */
    IMAGE_NOT_FOUND,
    /** The runtime refused the machine's configuration: the session fails. */
    INVALID_SPEC,
    /** The runtime cannot be reached: retry later, report 503. */
    UNAVAILABLE,
    /** Any other runtime error: retry, then fail. */
    RUNTIME;

    /** Whether retrying can help. */
    public boolean permanent() {
      return this == IMAGE_NOT_FOUND || this == INVALID_SPEC;
    }
  }

  private final Kind kind;

  public MachineException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public MachineException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
