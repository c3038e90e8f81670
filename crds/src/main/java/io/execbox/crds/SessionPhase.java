package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The statuses of docs/API.md. Terminal phases never change again. */
public enum SessionPhase {
  PENDING,
  RUNNING,
  STOPPED,
  KILLED,
  FAILED;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static SessionPhase fromWire(String value) {
    for (SessionPhase p : values()) {
      if (p.wire().equals(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown session status: " + value);
  }

  public boolean isTerminal() {
    return this == STOPPED || this == KILLED || this == FAILED;
  }

  public boolean isActive() {
    return !isTerminal();
  }
}
