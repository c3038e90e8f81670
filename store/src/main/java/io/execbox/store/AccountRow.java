package io.execbox.store;

import java.time.Instant;

/** An account: the tenant that owns keys and sessions. */
public record AccountRow(String id, String name, int maxActiveSessions, Instant createdAt) {}
