package io.execbox.machines.docker;

import static io.execbox.machines.docker.Containers.failure;
import static io.execbox.machines.docker.Containers.gone;
import static io.execbox.machines.docker.Containers.neverStarted;
import static io.execbox.machines.docker.Containers.running;
import static io.execbox.machines.docker.Containers.target;
import static io.execbox.machines.docker.DockerClient.API;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineIo;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.OutputSink;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stdio of session containers: an attach made before the start (stdout and stderr apart, stdin
 * with half-close), the log replayed and followed for a container that ran before anyone attached,
 * and the wait for the exit code.
 */
final class ContainerIo implements MachineIo {
  private static final Logger log = LoggerFactory.getLogger(ContainerIo.class);
  private static final String LIBPOD = "/v4.0.0/libpod";

  /** How long a container whose output has ended is looked at before Podman's wait is used. */
  private static final Duration LOOK_FOR_EXIT = Duration.ofSeconds(2);

  private static final long FIRST_PAUSE_MS = 5;
  private static final long MAX_PAUSE_MS = 100;

  private final DockerClient client;
  private final Containers containers;
  private volatile Boolean podman;

  ContainerIo(DockerClient client, Containers containers) {
    this.client = client;
    this.containers = containers;
  }

  /**
   * Attaches to a created container before its start. A container that already ran gets its log
   * replayed instead: an attach would miss what it wrote, and Podman re-initializes an exited
   * container that is attached to, which loses its exit code.
   */
  @Override
  public IoChannel attach(MachineRef ref, OutputSink sink) {
    return open(ref, sink);
  }

  /** As {@link #attach}: the logs of a container that has not started end at once. */
  @Override
  public IoChannel replay(MachineRef ref, OutputSink sink) {
    return open(ref, sink);
  }

  private IoChannel open(MachineRef ref, OutputSink sink) {
    JsonNode c;
    try {
      c = containers.inspect(target(ref));
    } catch (Containers.Settling e) {
      return openReplay(ref, sink, false); // it has just exited
    }
    if (c == null) {
      throw gone(ref);
    }
    if (neverStarted(c)) {
      DockerConnection conn = containers.hijack(ref, "stream=1&stdin=1&stdout=1&stderr=1");
      return StreamChannel.start(threadName(ref), OutputSource.attach(conn), conn, sink);
    }
    return openReplay(ref, sink, running(c));
  }

  private IoChannel openReplay(MachineRef ref, OutputSink sink, boolean running) {
    // The whole log, read again while the container runs: Podman's followed log is not exact.
    DockerConnection history = containers.logs(ref);
    DockerConnection stdin = null;
    // Only while it runs: attaching to an exited container makes Podman re-initialize it. The
    // window between the inspect and the attach remains; start() refuses to run such a container
    // again, and observe() reports it BROKEN.
    if (running) {
      try {
        stdin = containers.hijack(ref, "stream=1&stdin=1&stdout=0&stderr=0");
      } catch (MachineException e) {
        log.debug("no stdin for session {}: {}", ref.sessionId(), e.getMessage());
      }
    }
    OutputSource source =
        new LogSource(
            history, running ? () -> stillRunning(ref) : null, () -> containers.logs(ref));
    return StreamChannel.start(threadName(ref), source, stdin, sink);
  }

  private boolean stillRunning(MachineRef ref) {
    try {
      JsonNode c = containers.inspect(target(ref));
      return c != null && running(c);
    } catch (Containers.Settling e) {
      return false;
    }
  }

  @Override
  public int awaitExit(MachineRef ref, Duration timeout) {
    try {
      return isPodman() ? awaitPodman(ref, timeout) : awaitCompat(ref, timeout);
    } catch (MachineException e) {
      if (e.getCause() instanceof SocketTimeoutException) {
        throw notExited(ref, timeout, e.getCause());
      }
      throw e;
    }
  }

  private static MachineException notExited(MachineRef ref, Duration timeout, Throwable cause) {
    return new MachineException(
        Kind.RUNTIME, "container " + ref.name() + " did not exit within " + timeout, cause);
  }

  /**
   * Podman shows a container {@code stopped}, with its exit code, as soon as conmon has written the
   * exit (tens of milliseconds after it), but both its waits answer only once its cleanup process
   * has run, 0.3-1 s later and more under load: the exit frame waited for that. So the container's
   * state is looked at first, at growing pauses, for up to {@link #LOOK_FOR_EXIT} (its output has
   * ended, so the exit is due); Podman's own wait covers the rest of the time.
   */
  private int awaitPodman(MachineRef ref, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long lookUntil = System.nanoTime() + Math.min(timeout.toNanos(), LOOK_FOR_EXIT.toNanos());
    long pause = FIRST_PAUSE_MS;
    while (true) {
      Integer code = exitCode(ref);
      if (code != null) {
        return code;
      }
      long left = lookUntil - System.nanoTime();
      if (left <= 0) {
        break;
      }
      pause(Math.min(pause, Math.max(1, left / 1_000_000)));
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw notExited(ref, timeout, null);
    }
    return podmanWait(ref, Duration.ofNanos(left));
  }

  /** The exit code of a container that has ended; null while it has not (or is settling). */
  private Integer exitCode(MachineRef ref) {
    JsonNode c;
    try {
      c = containers.inspect(target(ref));
    } catch (Containers.Settling e) {
      return null; // its cleanup is under way: look again
    }
    if (c == null) {
      throw gone(ref);
    }
    JsonNode s = c.path("State");
    String status = s.path("Status").asText("");
    boolean ended =
        Inspections.state(status) == MachineState.EXITED || status.equalsIgnoreCase("dead");
    return ended && s.path("ExitCode").isInt() ? s.path("ExitCode").asInt() : null;
  }

  /**
   * A pause between two looks at a container whose output has ended. It holds the session's exit
   * waiter (a thread of the session's I/O), never a reconcile, which is what the rule against
   * sleeping in machines guards.
   */
  private static void pause(long millis) {
    Object pacing = new Object();
    synchronized (pacing) {
      try {
        pacing.wait(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MachineException(Kind.RUNTIME, "interrupted while waiting for an exit", e);
      }
    }
  }

  /** Podman's own wait answers once its cleanup has run; its compat wait takes longer still. */
  private int podmanWait(MachineRef ref, Duration timeout) {
    HttpResponse r =
        client.call(
            "POST",
            LIBPOD + "/containers/" + target(ref) + "/wait?condition=exited&interval=10ms",
            null,
            null,
            timeout);
    if (r.status() == 404) {
      throw gone(ref);
    }
    if (!r.ok()) {
      throw failure("wait for the container", r, false);
    }
    try {
      return Integer.parseInt(r.text().strip());
    } catch (NumberFormatException e) {
      throw new MachineException(Kind.RUNTIME, "unexpected wait answer: " + r.message());
    }
  }

  private int awaitCompat(MachineRef ref, Duration timeout) {
    boolean created;
    try {
      JsonNode c = containers.inspect(target(ref));
      if (c == null) {
        throw gone(ref);
      }
      created = neverStarted(c);
    } catch (Containers.Settling e) {
      created = false; // it has just exited
    }
    // "not-running", the default, is true at once for a created container.
    String condition = created ? "?condition=next-exit" : "";
    HttpResponse r =
        client.call(
            "POST", API + "/containers/" + target(ref) + "/wait" + condition, null, null, timeout);
    if (r.status() == 404) {
      throw gone(ref);
    }
    if (!r.ok()) {
      throw failure("wait for the container", r, false);
    }
    JsonNode j = r.json(client.mapper());
    JsonNode err = j.path("Error").path("Message");
    if (err.isTextual() && !err.asText().isBlank()) {
      throw new MachineException(Kind.RUNTIME, "waiting for the container: " + err.asText());
    }
    return j.path("StatusCode").asInt();
  }

  /** Makes {@link #awaitExit} use the Engine API's wait on Podman too, to test that path. */
  void useCompatWait() {
    podman = false;
  }

  /**
   * Detected once, from the {@code Libpod-Api-Version} header Podman puts on every answer: its
   * {@code /_ping} answers at once, where its {@code /version} (which names a component "Podman
   * Engine") took 1-1.3 s under load, and the first session's exit frame waited for it.
   */
  boolean isPodman() {
    Boolean p = podman;
    if (p == null) {
      HttpResponse r = client.get(API + "/_ping");
      if (!r.ok()) {
        throw failure("ping the runtime", r, false);
      }
      p = r.headers().containsKey("libpod-api-version");
      podman = p;
    }
    return p;
  }

  private static String threadName(MachineRef ref) {
    return "execbox-io-" + ref.sessionId();
  }
}
