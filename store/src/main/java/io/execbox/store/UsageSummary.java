package io.execbox.store;

/** An account's usage for one day. */
public record UsageSummary(
    long sessionsToday, long activeSessions, double wallSeconds, double cpuSeconds) {}
