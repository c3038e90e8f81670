package io.execbox.operator.lifecycle;

import io.execbox.crds.SessionPhase;
import java.time.Instant;

/**
 * A session's recorded state, as the lifecycle needs it; built from a Postgres row (standalone) or
 * a Session resource's status (kubernetes).
 */
public record SessionState(
    SessionPhase status,
    Instant createdAt,
    Instant deadlineAt,
    Instant startedAt,
    Integer exitCode,
    Instant stopRequestedAt,
    Instant termSentAt,
    Instant killRequestedAt,
    int createAttempts,
    boolean machineRecorded,
    boolean machineDestroyed) {}
