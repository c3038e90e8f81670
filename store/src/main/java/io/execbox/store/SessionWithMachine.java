package io.execbox.store;

/** A session's row with the name of its machine (null before it has one). */
public record SessionWithMachine(SessionRow row, String machineName) {}
