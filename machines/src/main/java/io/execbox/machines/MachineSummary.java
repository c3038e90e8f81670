package io.execbox.machines;

/** One labelled machine as listed by a backend, for the orphan sweep. */
public record MachineSummary(
    String machineId, String sessionId, String ownerId, MachineState state) {}
