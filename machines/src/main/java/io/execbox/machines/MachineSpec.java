package io.execbox.machines;

import io.execbox.crds.SessionSpec;
import java.time.Instant;
import java.util.Objects;

/**
 * What a backend needs to create a session's machine: the session's identity and its spec, with the
 * server's defaults already applied to the limits and the deadline.
 *
 * @param sessionId {@code sess_<hex>}; the machine's name derives from it
 * @param ownerId the owning account, written into the machine's labels
 * @param spec the create request
 * @param cpuMillis effective CPU limit
 * @param memoryMB effective memory limit
 * @param deadlineAt when the session must end (its row's deadline): a runtime that can end a
 *     machine by itself is told to do so a little later, as a backstop to the lifecycle
 * @param owner the object the machine belongs to, or null (standalone mode)
 */
public record MachineSpec(
    String sessionId,
    String ownerId,
    SessionSpec spec,
    int cpuMillis,
    int memoryMB,
    Instant deadlineAt,
    MachineOwner owner) {
  public MachineSpec {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(ownerId, "ownerId");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(deadlineAt, "deadlineAt");
  }
}
