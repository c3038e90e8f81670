package io.execbox.machines.docker;

import static io.execbox.machines.docker.DockerClient.API;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The Engine API's container endpoints that both sides of the docker driver use — inspect, attach,
 * logs — and how their refusals become {@link MachineException}s.
 */
final class Containers {
  private static final Pattern CONFIG_ERROR =
      Pattern.compile(
          "invalid|unknown|unrecognized|not found|no such file or directory|must be|not supported"
              + "|permission denied|cannot be|unable to set memory limit|exec format error"
              + "|executable file not found|out of range|too (large|small|long)"
              // a file or working directory the image's own files make impossible (/bin/sh/x)
              + "|not a directory|is a directory|file exists|read-only file system");

  private final DockerClient client;

  Containers(DockerClient client) {
    this.client = client;
  }

  /**
   * The container's JSON, or null when there is none. Podman answers 500 "does not exist in
   * database" for a moment while its cleanup process handles a container that has just exited; that
   * answer is a {@link Settling}, which the caller may take as "it has run, and does not run now",
   * or pass on so that its caller looks again.
   */
  JsonNode inspect(String idOrName) {
    HttpResponse r = client.get(API + "/containers/" + idOrName + "/json");
    if (r.status() == 500 && r.message().contains("does not exist in database")) {
      throw new Settling(idOrName, r.message());
    }
    if (r.status() == 404) {
      return null;
    }
    if (!r.ok()) {
      throw failure("inspect the container", r, false);
    }
    return r.json(client.mapper());
  }

  /** A container the runtime is still settling after its exit: look again in a moment. */
  static final class Settling extends MachineException {
    Settling(String container, String message) {
      super(
          Kind.RUNTIME,
          "container " + container + " is being cleaned up after its exit; look again: " + message);
    }
  }

  /** A hijacked attach to the container, with the streams {@code query} names. */
  DockerConnection hijack(MachineRef ref, String query) {
    DockerConnection c =
        client.hijack("POST", API + "/containers/" + target(ref) + "/attach?" + query);
    if (c.status() != 101 && c.status() != 200) {
      HttpResponse r = drain(c);
      if (r.status() == 404) {
        throw gone(ref);
      }
      // Podman creates the OCI container when the first attach comes, so a command that cannot
      // run is refused here (409), not at start.
      throw failure("attach to the container", r, true);
    }
    return c;
  }

  /** The container's whole log so far, stdout and stderr multiplexed. */
  DockerConnection logs(MachineRef ref) {
    DockerConnection c =
        client.stream("GET", API + "/containers/" + target(ref) + "/logs?stdout=1&stderr=1", null);
    if (c.status() != 200) {
      throw failure("read the container's logs", drain(c), false);
    }
    return c;
  }

  /** Created and never run: a StartedAt of year 1 (Podman) or empty. */
  static boolean neverStarted(JsonNode c) {
    JsonNode s = c.path("State");
    return Inspections.state(s.path("Status").asText()) == MachineState.CREATED
        && Inspections.time(s.path("StartedAt").asText(null)) == null;
  }

  static boolean running(JsonNode c) {
    return Inspections.state(c.path("State").path("Status").asText()) == MachineState.RUNNING;
  }

  /**
   * An error answer as a {@link MachineException}. Podman answers 500 for most refusals, so a
   * configuration error is told by its message when {@code config} says the request carried the
   * session's configuration.
   */
  static MachineException failure(String what, HttpResponse r, boolean config) {
    String message = "could not " + what + ": " + r.message();
    if (r.status() == 400 || r.status() == 403 || r.status() == 404 && config) {
      return new MachineException(config ? Kind.INVALID_SPEC : Kind.RUNTIME, message);
    }
    if (config && CONFIG_ERROR.matcher(r.message().toLowerCase(Locale.ROOT)).find()) {
      return new MachineException(Kind.INVALID_SPEC, message);
    }
    return new MachineException(Kind.RUNTIME, message + " (HTTP " + r.status() + ")");
  }

  static MachineException gone(MachineRef ref) {
    return new MachineException(Kind.RUNTIME, "container " + ref.name() + " no longer exists");
  }

  static HttpResponse drain(DockerConnection c) {
    try {
      return c.drain(64 * 1024);
    } catch (IOException e) {
      return new HttpResponse(c.status(), c.headers(), new byte[0]);
    }
  }

  /** The container's id, or its name when the id is not known. */
  static String target(MachineRef ref) {
    return ref.machineId() == null || ref.machineId().isBlank() ? ref.name() : ref.machineId();
  }

  static String shortId(String id) {
    return id == null || id.length() <= 12 ? id : id.substring(0, 12);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
