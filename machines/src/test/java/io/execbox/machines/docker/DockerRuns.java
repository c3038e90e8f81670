package io.execbox.machines.docker;

import io.execbox.crds.NetworkMode;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.Collector;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Sessions of a test on the real runtime, run in the lifecycle's order and removed after it. */
final class DockerRuns {
  static final String IMAGE = "localhost/execbox-test/busybox:latest";
  static final String OWNER = "acct_docker_sandbox_it";
  static final Duration WAIT = Duration.ofSeconds(60);

  record Run(MachineRef ref, Collector output, int exitCode) {
    String stdout() {
      return output.stdout();
    }

    String stderr() {
      return output.stderr();
    }
  }

  final DockerClient client;
  private final List<String> sessions = new ArrayList<>();

  DockerRuns(DockerClient client) {
    this.client = client;
  }

  static SessionSpec shell(NetworkMode network, String script) {
    SessionSpec s = new SessionSpec();
    s.setImage(IMAGE);
    s.setCommand(List.of("sh", "-c", script));
    s.setNetwork(network);
    return s;
  }

  MachineSpec machine(SessionSpec spec) {
    String id = SessionIds.newId();
    sessions.add(id);
    return new MachineSpec(id, OWNER, spec, 1000, 256, Instant.now().plusSeconds(3600), null);
  }

  /** Create, attach, start, wait. */
  Run run(DockerBackend backend, SessionSpec spec) throws Exception {
    MachineRef ref = backend.create(machine(spec));
    Collector c = new Collector();
    try (IoChannel io = backend.attach(ref, c)) {
      backend.start(ref);
      c.awaitEnd();
    }
    return new Run(ref, c, backend.awaitExit(ref, WAIT));
  }

  /** Created and started, left running. */
  MachineRef start(DockerBackend backend, SessionSpec spec) {
    MachineRef ref = backend.create(machine(spec));
    backend.start(ref);
    return ref;
  }

  void destroyAll(DockerBackend backend) {
    sessions.forEach(backend::destroy);
    sessions.clear();
  }
}
