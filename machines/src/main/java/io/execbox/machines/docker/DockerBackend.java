package io.execbox.machines.docker;

import static io.execbox.machines.docker.Containers.enc;
import static io.execbox.machines.docker.Containers.failure;
import static io.execbox.machines.docker.Containers.gone;
import static io.execbox.machines.docker.Containers.neverStarted;
import static io.execbox.machines.docker.Containers.shortId;
import static io.execbox.machines.docker.Containers.target;
import static io.execbox.machines.docker.DockerClient.API;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.crds.FileSpec;
import io.execbox.crds.Labels;
import io.execbox.crds.NetworkMode;
import io.execbox.machines.ChangeListeners;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineIo;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.MachineSummary;
import io.execbox.machines.Observation;
import io.execbox.machines.OutputSink;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions as containers of a Docker Engine, or of Podman through its Docker-compatible API.
 *
 * <p>A session's container is created with stdin open for one attach and no TTY, so that stdout and
 * stderr stay apart and stdin can be half-closed; the caller attaches before it starts it. The
 * stdio is {@link ContainerIo}'s.
 */
public final class DockerBackend implements MachineBackend, MachineIo {
  private static final Logger log = LoggerFactory.getLogger(DockerBackend.class);
  private static final Duration PULL_TIMEOUT = Duration.ofMinutes(10);

  /** How soon the control loop looks again at a container the runtime is still settling. */
  private static final Duration LOOK_AGAIN = Duration.ofMillis(100);

  private final DockerClient client;
  private final DockerOptions options;
  private final ObjectMapper mapper;
  private final Containers containers;
  private final ContainerIo io;
  private final ChangeListeners listeners = new ChangeListeners();
  private final ManagedNetwork networks;
  private final EgressFilter filter = new EgressFilter();

  public DockerBackend(DockerClient client, DockerOptions options) {
    this.client = client;
    this.options = options;
    this.mapper = client.mapper();
    this.containers = new Containers(client);
    this.io = new ContainerIo(client, containers);
    this.networks = new ManagedNetwork(client);
  }

  /**
   * Makes ready what sessions need of the host before the first one: the network of {@code
   * outgoing} and {@code exposed} sessions and its packet filter, and the user IDs of Podman's
   * {@code userns=auto}. Start-up calls it so that a host that cannot give them stops it with the
   * reason; each networked session's create checks the network and its filter again.
   */
  public void prepare() {
    ensureNetwork();
    if (options.sandbox().userns() == DockerOptions.Userns.AUTO && isPodman() && local()) {
      UserIds.requireContainersRange();
    }
  }

  /** The network, created when missing, and its filter, put back when someone removed it. */
  private synchronized ManagedNetwork.Bridge ensureNetwork() {
    return networks.ensure(options.network(), isPodman(), local(), filter);
  }

  private boolean local() {
    return client.host().uri().startsWith("unix:");
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
    ObjectNode body = ContainerRequests.create(spec, options, isPodman());
    if (spec.spec().networkOrDefault() != NetworkMode.NONE) {
      ensureNetwork();
    }
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
    JsonNode c = containers.inspect(name);
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
    JsonNode c;
    try {
      c = containers.inspect(target(ref));
    } catch (Containers.Settling e) {
      return; // it has run and exited
    }
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

  /**
   * Observes without waiting: a container the runtime is still settling after its exit is an error
   * to retry, and the listeners of {@link #onChange} are called a moment later so that the control
   * loop comes back for it soon.
   */
  @Override
  public Observation observe(String sessionId) {
    JsonNode c;
    try {
      c = containers.inspect(ContainerRequests.containerName(sessionId));
    } catch (Containers.Settling e) {
      CompletableFuture.delayedExecutor(LOOK_AGAIN.toMillis(), TimeUnit.MILLISECONDS)
          .execute(() -> listeners.announce(sessionId));
      throw e;
    }
    return c == null
        ? Observation.absent()
        : Inspections.observe(sessionId, c, options.exposeHost());
  }

  @Override
  public void onChange(Consumer<String> listener) {
    listeners.add(listener);
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
    // Podman 4.3 with userns=auto answers 500 "device or resource busy" (its shm mount) to most
    // removals right after an exit, and removes the container all the same: the next try finds it
    // gone.
    for (int tries = 1; tries < 4 && r.message().contains("resource busy"); tries++) {
      r = client.delete(API + "/containers/" + name + "?force=1&v=1");
    }
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

  @Override
  public IoChannel attach(MachineRef ref, OutputSink sink) {
    return io.attach(ref, sink);
  }

  @Override
  public IoChannel replay(MachineRef ref, OutputSink sink) {
    return io.replay(ref, sink);
  }

  @Override
  public int awaitExit(MachineRef ref, Duration timeout) {
    return io.awaitExit(ref, timeout);
  }

  /** Makes {@link #awaitExit} use the Engine API's wait on Podman too, to test that path. */
  void useCompatWait() {
    io.useCompatWait();
  }

  boolean isPodman() {
    return io.isPodman();
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
}
