package io.execbox.operator.step;

/** Limits applied when a session's spec leaves them out. */
public record MachineDefaults(int cpuMillis, int memoryMB) {}
