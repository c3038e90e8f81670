package io.execbox.machines.kubernetes;

import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineRef;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** The apiserver's refusals and failures as {@link MachineException}s. */
final class ApiFailures {
  private ApiFailures() {}

  /** A failure to do {@code what}: unavailable, a refused spec, or any other runtime error. */
  static MachineException failure(String what, KubernetesClientException e) {
    int code = e.getCode();
    Kind kind;
    if (code == 0 || code == 502 || code == 503 || code == 504) {
      kind = Kind.UNAVAILABLE;
    } else if (code == 400 || code == 422) {
      kind = Kind.INVALID_SPEC;
    } else {
      kind = Kind.RUNTIME;
    }
    return new MachineException(kind, "cannot " + what + ": " + message(e), e);
  }

  static MachineException gone(MachineRef ref) {
    return new MachineException(Kind.RUNTIME, "pod " + ref.name() + " is gone");
  }

  /** The apiserver's own message, else the root cause's. */
  static String message(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : e.getMessage();
  }
}
