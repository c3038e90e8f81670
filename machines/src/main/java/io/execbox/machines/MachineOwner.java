package io.execbox.machines;

import java.util.Objects;

/**
 * The object that owns a session's machine, so that the runtime removes the machine with it: in
 * kubernetes mode, the Session resource (the kubernetes backend makes it the Pod's owner
 * reference). Standalone mode has none.
 *
 * @param apiVersion the owner's API version, e.g. {@code execbox.io/v1alpha1}
 * @param kind the owner's kind, e.g. {@code Session}
 * @param name the owner's name
 * @param uid the owner's uid, which tells it apart from a later object of the same name
 */
public record MachineOwner(String apiVersion, String kind, String name, String uid) {
  public MachineOwner {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }
}
