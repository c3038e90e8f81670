package io.execbox.machines;

/**
 * A handle to a created machine.
 *
 * @param sessionId the session it runs
 * @param machineId the backend's id (container id, Pod uid, Fly machine id)
 * @param name the backend's name, derived from the session id
 */
public record MachineRef(String sessionId, String machineId, String name) {}
