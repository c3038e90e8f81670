package io.execbox.machines.fly;

import static io.execbox.machines.docker.DockerClient.API;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.machines.docker.DockerClient;
import io.execbox.machines.docker.DockerHost;
import io.execbox.machines.docker.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The simulator's machines as real containers of the Podman (or Docker) of DOCKER_HOST: the
 * machine's image, its init.exec as the container's entrypoint, its env, its memory, its files
 * written before it starts, and its private ports published on its own loopback address.
 */
final class SimRuntime {
  static final String LABEL = "io.execbox.fly-simulator";

  private final DockerClient docker;
  private final ObjectMapper mapper;
  private final String simulatorId;

  SimRuntime(String dockerHost, String simulatorId, ObjectMapper mapper) {
    this.docker = new DockerClient(DockerHost.resolve(dockerHost), mapper);
    this.mapper = mapper;
    this.simulatorId = simulatorId;
  }

  /** The container's id; throws with the runtime's message when it cannot be created. */
  String create(String machineId, JsonNode config, String privateIp, List<Integer> ports) {
    ObjectNode c = mapper.createObjectNode();
    c.put("Image", config.path("image").asText());
    JsonNode init = config.path("init");
    if (init.path("exec").isArray() && init.path("exec").size() > 0) {
      c.set("Entrypoint", init.path("exec"));
      c.putArray("Cmd");
    } else {
      if (init.path("entrypoint").isArray()) {
        c.set("Entrypoint", init.path("entrypoint"));
      }
      if (init.path("cmd").isArray()) {
        c.set("Cmd", init.path("cmd"));
      }
    }
    ArrayNode env = c.putArray("Env");
    config
        .path("env")
        .fields()
        .forEachRemaining(e -> env.add(e.getKey() + "=" + e.getValue().asText()));
    env.add("FLY_MACHINE_ID=" + machineId);
    env.add("FLY_PRIVATE_IP=" + privateIp);
    c.putObject("Labels").put(LABEL, simulatorId).put("io.execbox.fly-machine", machineId);
    ObjectNode exposed = c.putObject("ExposedPorts");
    ObjectNode host = c.putObject("HostConfig");
    ObjectNode bindings = host.putObject("PortBindings");
    for (int p : ports) {
      exposed.putObject(p + "/tcp");
      bindings.putArray(p + "/tcp").addObject().put("HostIp", privateIp).put("HostPort", "" + p);
    }
    int mb = config.path("guest").path("memory_mb").asInt(256);
    host.put("Memory", mb * 1024L * 1024L);
    HttpResponse r =
        docker.postJson(API + "/containers/create?name=flysim-" + simulatorId + "-" + machineId, c);
    if (!r.ok()) {
      throw new IllegalStateException(r.status() + " " + r.message());
    }
    String id = r.json(mapper).path("Id").asText();
    byte[] tar = tar(config.path("files"));
    if (tar != null) {
      HttpResponse put =
          docker.call(
              "PUT",
              API + "/containers/" + id + "/archive?path=/",
              tar,
              "application/x-tar",
              Duration.ofSeconds(60));
      if (!put.ok()) {
        remove(id);
        throw new IllegalStateException("files: " + put.status() + " " + put.message());
      }
    }
    return id;
  }

  void start(String id) {
    HttpResponse r = docker.post(API + "/containers/" + id + "/start");
    if (!r.ok() && r.status() != 304) {
      throw new IllegalStateException(r.status() + " " + r.message());
    }
  }

  /** Blocks until the container has exited; returns {exit code, oom killed}. */
  Map<String, Object> awaitExit(String id) {
    docker.call("POST", API + "/containers/" + id + "/wait", null, null, Duration.ofDays(1));
    JsonNode state = docker.get(API + "/containers/" + id + "/json").json(mapper).path("State");
    return Map.of(
        "exit_code",
        state.path("ExitCode").asInt(),
        "oom_killed",
        state.path("OOMKilled").asBoolean());
  }

  void signal(String id, String signal) {
    docker.post(API + "/containers/" + id + "/kill?signal=" + signal);
  }

  /**
   * Removes the container, asking again (for 30 s at most) while Podman's answer is neither a
   * success nor 404: a machine the simulator calls destroyed must have no container left. Which
   * refusal left one on a fresh CI machine is not known; a 409 means a removal is under way.
   */
  void remove(String id) {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      HttpResponse r = docker.delete(API + "/containers/" + id + "?force=true&v=true");
      if (r.ok() || r.status() == 404 || System.nanoTime() > until) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The container's id, name and state, as Podman tells them. */
  String describe(String id) {
    JsonNode c = docker.get(API + "/containers/" + id + "/json").json(mapper);
    return id.substring(0, Math.min(12, id.length()))
        + " "
        + c.path("Name").asText()
        + " "
        + c.path("State").path("Status").asText();
  }

  /** Every container of this simulator still there. */
  List<String> containers() {
    String filter =
        java.net.URLEncoder.encode(
            "{\"label\":[\"" + LABEL + "=" + simulatorId + "\"]}", StandardCharsets.UTF_8);
    JsonNode list = docker.get(API + "/containers/json?all=true&filters=" + filter).json(mapper);
    java.util.ArrayList<String> out = new java.util.ArrayList<>();
    list.forEach(n -> out.add(n.path("Id").asText()));
    return out;
  }

  /** A ustar archive of the machine's files (raw_value base64, mode), or null when none. */
  private static byte[] tar(JsonNode files) {
    if (!files.isArray() || files.isEmpty()) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (JsonNode f : files) {
      String path = f.path("guest_path").asText().substring(1);
      byte[] data = Base64.getDecoder().decode(f.path("raw_value").asText(""));
      int mode = f.path("mode").asInt(0644);
      String dir = path.contains("/") ? path.substring(0, path.lastIndexOf('/')) : null;
      if (dir != null) {
        header(out, dir + "/", 0, 0755, '5');
      }
      header(out, path, data.length, mode, '0');
      out.writeBytes(data);
      out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private static void header(
      ByteArrayOutputStream out, String name, long size, int mode, char type) {
    byte[] h = new byte[512];
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    if (n.length > 100) {
      throw new IllegalArgumentException("path too long for the simulator: " + name);
    }
    System.arraycopy(n, 0, h, 0, n.length);
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, System.currentTimeMillis() / 1000);
    h[156] = (byte) type;
    System.arraycopy("ustar\00000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    out.writeBytes(h);
  }

  private static void octal(byte[] h, int at, int len, long v) {
    String s = String.format("%0" + (len - 1) + "o", v);
    System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, at, len - 1);
  }
}
