package io.execbox.machines.docker;

import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's subordinate user and group IDs, from which Podman's {@code userns=auto} takes. */
final class UserIds {
  static final Path SUBUID = Path.of("/etc/subuid");
  static final Path SUBGID = Path.of("/etc/subgid");

  private UserIds() {}

  /** Fails unless both files give the user {@code containers} a range. */
  static void requireContainersRange() {
    for (Path p : new Path[] {SUBUID, SUBGID}) {
      if (!hasContainersRange(p)) {
        throw new MachineException(
            Kind.UNAVAILABLE,
            p
                + " gives the user \"containers\" no range, which Podman's userns=auto takes IDs"
                + " from: add a line such as containers:2147483647:2147483648 to /etc/subuid and"
                + " /etc/subgid (scripts/podman.sh install does)");
      }
    }
  }

  static boolean hasContainersRange(Path p) {
    try {
      return Files.readAllLines(p).stream().anyMatch(l -> l.startsWith("containers:"));
    } catch (IOException e) {
      return false;
    }
  }
}
