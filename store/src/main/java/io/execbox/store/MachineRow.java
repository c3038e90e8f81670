package io.execbox.store;

import java.time.Instant;

/** The machine a session ran on. */
public record MachineRow(
    String sessionId,
    String backend,
    String machineId,
    String name,
    Instant createdAt,
    Instant destroyedAt) {}
