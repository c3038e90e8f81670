package io.execbox.machines.fly;

import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import java.util.Locale;

/**
 * What an error answer of the Machines API means for a session: a refused configuration (400, 404
 * of the app, 412, 422) or no capacity fails it with Fly's reason; a refused token or an API that
 * keeps failing is the runtime being unavailable, to be retried.
 */
final class FlyFailures {
  private FlyFailures() {}

  static MachineException of(String what, FlyMachinesClient.Answer a) {
    String reason = what + ": Fly answered " + a.status() + " " + a.error();
    int s = a.status();
    String text = a.error().toLowerCase(Locale.ROOT);
    if (text.contains("capacity")) {
      return new MachineException(Kind.INVALID_SPEC, reason);
    }
    if (s == 401 || s == 403 || s == 429 || s == 408 || s >= 500) {
      return new MachineException(Kind.UNAVAILABLE, reason);
    }
    if (text.contains("image") && (text.contains("not found") || text.contains("manifest"))) {
      return new MachineException(Kind.IMAGE_NOT_FOUND, reason);
    }
    if (s == 400 || s == 404 || s == 409 || s == 412 || s == 422) {
      return new MachineException(Kind.INVALID_SPEC, reason);
    }
    return new MachineException(Kind.RUNTIME, reason);
  }
}
