package io.execbox.machines;

import io.execbox.crds.SessionSpec;
import java.util.Objects;

/**
 * What a backend needs to create a session's machine: the session's identity and its spec, with the
 * server's defaults already applied to the limits.
 *
 * @param sessionId {@code sess_<hex>}; the machine's name derives from it
 * @param ownerId the owning account, written into the machine's labels
 * @param spec the create request
 * @param cpuMillis effective CPU limit
 * @param memoryMB effective memory limit
 */
public record MachineSpec(
    String sessionId, String ownerId, SessionSpec spec, int cpuMillis, int memoryMB) {
  public MachineSpec {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(ownerId, "ownerId");
    Objects.requireNonNull(spec, "spec");
  }
}
