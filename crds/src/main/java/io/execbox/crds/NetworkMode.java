package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a session's machine reaches the network. */
public enum NetworkMode {
  /** No network at all, loopback only. */
  NONE,
  /** Outgoing connections allowed, nothing published. The default. */
  OUTGOING,
  /** Outgoing allowed and the listed ports published. */
  EXPOSED;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static NetworkMode fromWire(String value) {
    for (NetworkMode m : values()) {
      if (m.wire().equals(value)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown network mode: " + value);
  }
}
