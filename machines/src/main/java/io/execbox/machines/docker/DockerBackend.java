package io.execbox.machines.docker;

import static io.execbox.machines.docker.DockerClient.API;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.crds.FileSpec;
import io.execbox.crds.Labels;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineIo;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineState;
import io.execbox.machines.MachineSummary;
import io.execbox.machines.Observation;
import io.execbox.machines.OutputSink;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions as containers of a Docker Engine, or of Podman through its Docker-compatible API.
 *
 * <p>A session's container is created with stdin open for one attach and no TTY, so that stdout and
 * stderr stay apart and stdin can be half-closed; the caller attaches before it starts it.
 */
public final class DockerBackend implements MachineBackend, MachineIo {
  private static final Logger log = LoggerFactory.getLogger(DockerBackend.class);
  private static final Duration PULL_TIMEOUT = Duration.ofMinutes(10);
  private static final String LIBPOD = "/v4.0.0/libpod";
  private static final int INSPECT_RETRIES = 3;
  private static final Duration INSPECT_RETRY_PAUSE = Duration.ofMillis(50);
  private static final Pattern CONFIG_ERROR =
      Pattern.compile(
          "invalid|unknown|unrecognized|not found|no such file or directory|must be|not supported"
              + "|permission denied|cannot be|unable to set memory limit|exec format error"
              + "|executable file not found|out of range|too (large|small|long)");

  private final DockerClient client;
  private final DockerOptions options;
  private final ObjectMapper mapper;
  private volatile Boolean podman;

  public DockerBackend(DockerClient client, DockerOptions options) {
    this.client = client;
    this.options = options;
    this.mapper = client.mapper();
  }

  @Override
  public String name() {
    return "docker";
  }

  @Override
  public void ping() {
    HttpResponse r;
    try {
      r = client.get(API + "/_ping");
    } catch (MachineException e) {
      throw new MachineException(Kind.UNAVAILABLE, e.getMessage(), e);
    }
    if (!r.ok()) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "the container runtime at "
              + client.host().uri()
              + " answered /_ping with HTTP "
              + r.status()
              + ": "
              + r.message());
    }
  }

  @Override
  public MachineRef create(MachineSpec spec) {
    String name = ContainerRequests.containerName(spec.sessionId());
    ObjectNode body = ContainerRequests.create(spec, options);
    List<FileSpec> files = spec.spec().getFiles();
    // Built before anything is created, so that a bad file fails the session without a container.
    byte[] tar = files == null || files.isEmpty() ? null : ContainerFiles.tar(files, Instant.now());
    String path = API + "/containers/create?name=" + name;
    HttpResponse r = client.postJson(path, body);
    if (imageMissing(r) && options.pullPolicy() == DockerOptions.PullPolicy.MISSING) {
      pull(spec.spec().getImage());
      r = client.postJson(path, body);
    }
    if (imageMissing(r)) {
      throw new MachineException(
          Kind.IMAGE_NOT_FOUND,
          "image "
              + spec.spec().getImage()
              + " not found locally"
              + (options.pullPolicy() == DockerOptions.PullPolicy.NEVER
                  ? " and pulling is off (pull policy NEVER): load it into the runtime first"
                  : " nor pulled: " + r.message()));
    }
    if (nameTaken(r)) {
      return existing(spec.sessionId(), name, tar);
    }
    if (!r.ok()) {
      throw failure("create the container", r, true);
    }
    MachineRef ref = new MachineRef(spec.sessionId(), r.json(mapper).path("Id").asText(), name);
    if (tar != null) {
      try {
        upload(ref, tar);
      } catch (RuntimeException e) {
        // No half-created session: a retried create must not find a container without its files.
        removeQuietly(ref);
        throw e;
      }
    }
    log.info(
        "created container {} for session {} (image {})",
        shortId(ref.machineId()),
        spec.sessionId(),
        spec.spec().getImage());
    return ref;
  }

  /** The container a previous create made; files go in again while it has not started. */
  private MachineRef existing(String sessionId, String name, byte[] tar) {
    JsonNode c = inspect(name);
    if (c == null) {
      throw new MachineException(
          Kind.RUNTIME, "container " + name + " was being removed while it was created again");
    }
    MachineRef ref = new MachineRef(sessionId, c.path("Id").asText(), name);
    if (tar != null && neverStarted(c)) {
      upload(ref, tar);
    }
    return ref;
  }

  private void upload(MachineRef ref, byte[] tar) {
    HttpResponse r =
        client.call(
            "PUT",
            API + "/containers/" + ref.machineId() + "/archive?path=/",
            tar,
            "application/x-tar",
            DockerClient.DEFAULT_TIMEOUT);
    if (!r.ok()) {
      throw failure("write the session's files", r, true);
    }
  }

  private void pull(String image) {
    String[] p = ContainerRequests.pullParameters(image);
    log.info("pulling image {}", image);
    try (DockerConnection c =
        client.stream(
            "POST",
            API + "/images/create?fromImage=" + enc(p[0]) + "&tag=" + enc(p[1]),
            PULL_TIMEOUT)) {
      if (c.status() != 200) {
        HttpResponse r = c.drain(64 * 1024);
        throw new MachineException(
            Kind.IMAGE_NOT_FOUND, "image " + image + " could not be pulled: " + r.message());
      }
      // The answer is a stream of JSON progress objects; a failed pull still answers 200 and
      // says so in an "error" object.
      var parser = mapper.getFactory().createParser(c.body());
      var it = mapper.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n.hasNonNull("error")) {
          throw new MachineException(
              Kind.IMAGE_NOT_FOUND,
              "image " + image + " could not be pulled: " + n.path("error").asText());
        }
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof MachineException m) {
        throw m;
      }
      throw new MachineException(
          Kind.RUNTIME, "pulling image " + image + " failed: " + DockerClient.reason(e), e);
    }
  }

  @Override
  public void start(MachineRef ref) {
    JsonNode c = inspect(target(ref));
    if (c == null) {
      throw gone(ref);
    }
    // Only a container that never ran is started: Podman puts an exited container that someone
    // attached to back into "created", and starting that would run the command a second time.
    if (!neverStarted(c)) {
      return;
    }
    HttpResponse r = client.post(API + "/containers/" + target(ref) + "/start");
    if (r.status() == 404) {
      throw gone(ref);
    }
    if (!r.ok() && r.status() != 304) {
      throw failure("start the container", r, true);
    }
    log.debug("started container {} of session {}", shortId(ref.machineId()), ref.sessionId());
  }

  @Override
  public Observation observe(String sessionId) {
    JsonNode c = inspect(ContainerRequests.containerName(sessionId));
    return c == null
        ? Observation.absent()
        : Inspections.observe(sessionId, c, options.exposeHost());
  }

  @Override
  public void stop(MachineRef ref) {
    signal(ref, "SIGTERM");
  }

  @Override
  public void kill(MachineRef ref) {
    signal(ref, "SIGKILL");
  }

  /** The kill endpoint, not /stop: /stop blocks for the whole grace period. */
  private void signal(MachineRef ref, String signal) {
    HttpResponse r = client.post(API + "/containers/" + target(ref) + "/kill?signal=" + signal);
    if (r.ok() || r.status() == 404 || r.status() == 409) {
      return;
    }
    // Podman answers 500 "can only kill running containers ... container state improper".
    String m = r.message().toLowerCase(Locale.ROOT);
    if (m.contains("not running") || m.contains("state improper") || m.contains("no such")) {
      return;
    }
    throw failure("send " + signal + " to the container", r, false);
  }

  @Override
  public void destroy(String sessionId) {
    String name = ContainerRequests.containerName(sessionId);
    HttpResponse r = client.delete(API + "/containers/" + name + "?force=1&v=1");
    // 409: a removal is already under way.
    if (r.ok() || r.status() == 404 || r.status() == 409) {
      return;
    }
    throw failure("remove the container", r, false);
  }

  @Override
  public Double cpuSeconds(MachineRef ref) {
    try {
      HttpResponse r = client.get(API + "/containers/" + ref.machineId() + "/stats?stream=false");
      if (!r.ok()) {
        return null;
      }
      JsonNode usage = r.json(mapper).path("cpu_stats").path("cpu_usage").path("total_usage");
      return usage.isNumber() && usage.asLong() > 0 ? usage.asLong() / 1e9 : null;
    } catch (RuntimeException e) {
      // an exited container has no stats; CPU time is best effort
      return null;
    }
  }

  @Override
  public List<MachineSummary> list() {
    String filter =
        options.installation() == null
            ? "{\"label\":[\"" + Labels.MANAGED + "=true\"]}"
            : "{\"label\":[\""
                + Labels.MANAGED
                + "=true\",\""
                + Labels.INSTALLATION
                + "="
                + options.installation()
                + "\"]}";
    HttpResponse r = client.get(API + "/containers/json?all=1&filters=" + enc(filter));
    if (!r.ok()) {
      throw failure("list containers", r, false);
    }
    List<MachineSummary> out = new ArrayList<>();
    for (JsonNode item : r.json(mapper)) {
      out.add(Inspections.summary(item));
    }
    return out;
  }

  /**
   * Attaches to a created container before its start. A container that already ran gets {@link
   * #replay} instead: an attach would miss what it wrote, and Podman re-initializes an exited
   * container that is attached to, which loses its exit code.
   */
  @Override
  public IoChannel attach(MachineRef ref, OutputSink sink) {
    JsonNode c = inspect(target(ref));
    if (c == null) {
      throw gone(ref);
    }
    return neverStarted(c) ? openAttach(ref, sink) : openReplay(ref, sink, c);
  }

  @Override
  public IoChannel replay(MachineRef ref, OutputSink sink) {
    JsonNode c = inspect(target(ref));
    if (c == null) {
      throw gone(ref);
    }
    // The logs of a container that has not started end at once; an attach waits for its output.
    return neverStarted(c) ? openAttach(ref, sink) : openReplay(ref, sink, c);
  }

  private IoChannel openAttach(MachineRef ref, OutputSink sink) {
    DockerConnection conn = hijack(ref, "stream=1&stdin=1&stdout=1&stderr=1");
    return StreamChannel.start(threadName(ref), OutputSource.attach(conn), conn, sink);
  }

  private IoChannel openReplay(MachineRef ref, OutputSink sink, JsonNode c) {
    boolean running = running(c);
    // The whole log, read again while the container runs: Podman's followed log is not exact.
    DockerConnection history = logs(ref);
    DockerConnection stdin = null;
    // Only while it runs: attaching to an exited container makes Podman re-initialize it. The
    // window between the inspect and the attach remains; start() refuses to run such a container
    // again, and observe() reports it BROKEN.
    if (running) {
      try {
        stdin = hijack(ref, "stream=1&stdin=1&stdout=0&stderr=0");
      } catch (MachineException e) {
        log.debug("no stdin for session {}: {}", ref.sessionId(), e.getMessage());
      }
    }
    OutputSource source =
        new LogSource(history, running ? () -> stillRunning(ref) : null, () -> logs(ref));
    return StreamChannel.start(threadName(ref), source, stdin, sink);
  }

  private boolean stillRunning(MachineRef ref) {
    JsonNode c = inspect(target(ref));
    return c != null && running(c);
  }

  private static boolean running(JsonNode c) {
    return Inspections.state(c.path("State").path("Status").asText()) == MachineState.RUNNING;
  }

  private DockerConnection logs(MachineRef ref) {
    DockerConnection c =
        client.stream("GET", API + "/containers/" + target(ref) + "/logs?stdout=1&stderr=1", null);
    if (c.status() != 200) {
      throw failure("read the container's logs", drain(c), false);
    }
    return c;
  }

  @Override
  public int awaitExit(MachineRef ref, Duration timeout) {
    try {
      return isPodman() ? awaitPodman(ref, timeout) : awaitCompat(ref, timeout);
    } catch (MachineException e) {
      if (e.getCause() instanceof SocketTimeoutException) {
        throw new MachineException(
            Kind.RUNTIME,
            "container " + ref.name() + " did not exit within " + timeout,
            e.getCause());
      }
      throw e;
    }
  }

  /** Podman's own wait answers 40-90 ms after the exit; its compat wait takes 100-500 ms. */
  private int awaitPodman(MachineRef ref, Duration timeout) {
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
    JsonNode c = inspect(target(ref));
    if (c == null) {
      throw gone(ref);
    }
    // "not-running", the default, is true at once for a created container.
    String condition = neverStarted(c) ? "?condition=next-exit" : "";
    HttpResponse r =
        client.call(
            "POST", API + "/containers/" + target(ref) + "/wait" + condition, null, null, timeout);
    if (r.status() == 404) {
      throw gone(ref);
    }
    if (!r.ok()) {
      throw failure("wait for the container", r, false);
    }
    JsonNode j = r.json(mapper);
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

  /** Detected once: Podman's compat API names a component "Podman Engine". */
  boolean isPodman() {
    Boolean p = podman;
    if (p == null) {
      HttpResponse r = client.get(API + "/version");
      if (!r.ok()) {
        throw failure("read the runtime's version", r, false);
      }
      p = false;
      for (JsonNode component : r.json(mapper).path("Components")) {
        if ("Podman Engine".equals(component.path("Name").asText())) {
          p = true;
        }
      }
      podman = p;
    }
    return p;
  }

  private DockerConnection hijack(MachineRef ref, String query) {
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

  /** The container's JSON, or null when there is none. */
  private JsonNode inspect(String idOrName) {
    HttpResponse r = client.get(API + "/containers/" + idOrName + "/json");
    // Podman answers 500 "does not exist in database" for a moment while its cleanup process
    // handles a container that just exited; a second look a little later sees it again.
    for (int attempt = 1; attempt <= INSPECT_RETRIES && transientlyMissing(r); attempt++) {
      pause(INSPECT_RETRY_PAUSE.multipliedBy(attempt));
      r = client.get(API + "/containers/" + idOrName + "/json");
    }
    if (r.status() == 404) {
      return null;
    }
    if (!r.ok()) {
      throw failure("inspect the container", r, false);
    }
    return r.json(mapper);
  }

  private static boolean transientlyMissing(HttpResponse r) {
    return r.status() == 500 && r.message().contains("does not exist in database");
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MachineException(Kind.RUNTIME, "interrupted while inspecting a container", e);
    }
  }

  /** Created and never run: a StartedAt of year 1 (Podman) or empty. */
  private static boolean neverStarted(JsonNode c) {
    JsonNode s = c.path("State");
    return Inspections.state(s.path("Status").asText()) == MachineState.CREATED
        && Inspections.time(s.path("StartedAt").asText(null)) == null;
  }

  private void removeQuietly(MachineRef ref) {
    try {
      client.delete(API + "/containers/" + ref.machineId() + "?force=1&v=1");
    } catch (RuntimeException e) {
      log.warn("could not remove container {} after a failed create", shortId(ref.machineId()), e);
    }
  }

  private static boolean imageMissing(HttpResponse r) {
    return r.status() == 404 && r.message().toLowerCase(Locale.ROOT).contains("image");
  }

  /** Docker answers 409; Podman 4 answers 500 "that name is already in use". */
  private static boolean nameTaken(HttpResponse r) {
    return r.status() == 409
        || (r.status() == 500 && r.message().toLowerCase(Locale.ROOT).contains("already in use"));
  }

  /**
   * An error answer as a {@link MachineException}. Podman answers 500 for most refusals, so a
   * configuration error is told by its message when {@code config} says the request carried the
   * session's configuration.
   */
  private MachineException failure(String what, HttpResponse r, boolean config) {
    String message = "could not " + what + ": " + r.message();
    if (r.status() == 400 || r.status() == 403 || r.status() == 404 && config) {
      return new MachineException(config ? Kind.INVALID_SPEC : Kind.RUNTIME, message);
    }
    if (config && CONFIG_ERROR.matcher(r.message().toLowerCase(Locale.ROOT)).find()) {
      return new MachineException(Kind.INVALID_SPEC, message);
    }
    return new MachineException(Kind.RUNTIME, message + " (HTTP " + r.status() + ")");
  }

  private static MachineException gone(MachineRef ref) {
    return new MachineException(Kind.RUNTIME, "container " + ref.name() + " no longer exists");
  }

  private static HttpResponse drain(DockerConnection c) {
    try {
      return c.drain(64 * 1024);
    } catch (IOException e) {
      return new HttpResponse(c.status(), c.headers(), new byte[0]);
    }
  }

  private static String target(MachineRef ref) {
    return ref.machineId() == null || ref.machineId().isBlank() ? ref.name() : ref.machineId();
  }

  private static String threadName(MachineRef ref) {
    return "execbox-io-" + ref.sessionId();
  }

  private static String shortId(String id) {
    return id == null || id.length() <= 12 ? id : id.substring(0, 12);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
