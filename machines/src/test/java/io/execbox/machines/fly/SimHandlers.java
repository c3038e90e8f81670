package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The simulator's endpoints, after its routing, auth, rate limits and faults. */
final class SimHandlers {
  /** An answer: status and JSON body. */
  record Answer(int status, JsonNode body) {}

  private static final Set<String> STATES =
      Set.of("started", "stopped", "suspended", "destroyed", "failed", "settled");
  private static final Set<Integer> CPUS = Set.of(1, 2, 4, 6, 8, 16);

  private final FlySimulator sim;
  private final ObjectMapper mapper;
  private final SimRuntime runtime;

  SimHandlers(FlySimulator sim, ObjectMapper mapper, SimRuntime runtime) {
    this.sim = sim;
    this.mapper = mapper;
    this.runtime = runtime;
  }

  Answer handle(String action, String id, Map<String, List<String>> q, JsonNode body)
      throws InterruptedException {
    if (action.equals("get_app")) {
      return ok(mapper.createObjectNode().put("name", "app").put("status", "deployed"));
    }
    if (action.equals("list")) {
      return list(q);
    }
    if (action.equals("create")) {
      return create(body);
    }
    SimMachine m = sim.machine(id);
    if (m == null) {
      return new Answer(404, sim.error("machine not found"));
    }
    return switch (action) {
      case "get" -> ok(m.json(mapper, false));
      case "events" -> ok(m.events(mapper, Math.min(50, intParam(q, "limit", 20))));
      case "wait" -> await(m, q);
      case "stop" -> stop(m, body);
      case "signal" -> signal(m, body);
      case "start" -> start(m);
      case "delete" -> delete(m, q);
      default -> new Answer(404, sim.error("not found"));
    };
  }

  private Answer list(Map<String, List<String>> q) {
    boolean deleted = "true".equals(first(q, "include_deleted"));
    boolean summary = "true".equals(first(q, "summary"));
    Set<String> states = new HashSet<>();
    for (String s : q.getOrDefault("state", List.of())) {
      states.addAll(List.of(s.split(",")));
    }
    ArrayNode out = sim.array();
    for (SimMachine m : sim.machines()) {
      String st = m.state();
      if ((!deleted && st.equals("destroyed")) || (!states.isEmpty() && !states.contains(st))) {
        continue;
      }
      boolean match = true;
      for (var e : q.entrySet()) {
        if (e.getKey().startsWith("metadata.")) {
          String v = m.config.path("metadata").path(e.getKey().substring(9)).asText(null);
          match &= e.getValue().stream().allMatch(x -> x.equals(v));
        }
      }
      if (match) {
        out.add(m.json(mapper, summary));
      }
    }
    return ok(out);
  }

  private Answer create(JsonNode body) {
    JsonNode config = body == null ? null : body.get("config");
    if (config == null || !config.isObject()) {
      return invalid("config is required");
    }
    if (config.path("image").asText("").isBlank()) {
      return invalid("config.image is required");
    }
    String problem = validate(config);
    if (problem != null) {
      return invalid(problem);
    }
    String name = body.path("name").asText(null);
    if (name == null || name.isBlank()) {
      name = "sim-" + SimMachine.hex(6);
    }
    SimMachine m =
        new SimMachine(name, body.path("region").asText("lcl"), sim.nextPrivateIp(), config);
    try {
      m.containerId = runtime.create(m.id, config, m.privateIp, sim.privatePorts());
    } catch (IllegalStateException e) {
      String msg = e.getMessage() == null ? "" : e.getMessage();
      if (msg.startsWith("404")
          || msg.contains("image not known")
          || msg.contains("No such image")) {
        return invalid("image not found: " + config.path("image").asText());
      }
      return new Answer(500, sim.error("failed to launch VM: " + msg));
    }
    sim.add(m);
    m.event(mapper, "launch", "created", "user", null);
    if (!body.path("skip_launch").asBoolean(false)) {
      sim.threads().execute(() -> launch(m));
    }
    if (sim.faults().takeTimeoutAfterCreate()) {
      return new Answer(408, sim.error("deadline_exceeded: request timed out"));
    }
    if (sim.faults().takeDropAfterCreate()) {
      return null;
    }
    return ok(m.json(mapper, false));
  }

  private static String validate(JsonNode c) {
    JsonNode g = c.path("guest");
    if (g.isObject()) {
      int mb = g.path("memory_mb").asInt(256);
      int cpus = g.path("cpus").asInt(1);
      if (mb % 256 != 0 || mb < 256) {
        return "invalid memory size " + mb + ", must be a multiple of 256";
      }
      if (!CPUS.contains(cpus)) {
        return "invalid number of CPUs " + cpus;
      }
      if (!"performance".equals(g.path("cpu_kind").asText("shared")) && mb > 2048 * cpus) {
        return "memory size "
            + mb
            + " MB is more than "
            + 2048 * cpus
            + " MB for "
            + cpus
            + " shared CPUs";
      }
    }
    String policy = c.path("restart").path("policy").asText("on-failure");
    if (!Set.of("no", "always", "on-failure").contains(policy)) {
      return "invalid restart policy " + policy;
    }
    for (JsonNode f : c.path("files")) {
      String path = f.path("guest_path").asText("");
      if (!path.startsWith("/")) {
        return "file guest_path must be absolute: " + path;
      }
      try {
        Base64.getDecoder().decode(f.path("raw_value").asText(""));
      } catch (IllegalArgumentException e) {
        return "file " + path + ": raw_value is not base64";
      }
    }
    return null;
  }

  /** created -> starting -> started, then stopped with an exit event when the container ends. */
  private void launch(SimMachine m) {
    try {
      Thread.sleep(sim.startDelay().toMillis());
      if (!m.transition(Set.of("created", "stopped"), "starting")) {
        return;
      }
      synchronized (m) {
        m.requestedStop = false;
      }
      runtime.start(m.containerId);
      m.event(mapper, "start", "started", "flyd", null);
      m.transition(Set.of("starting"), "started");
      Map<String, Object> exit = runtime.awaitExit(m.containerId);
      if (m.state().equals("destroying") || m.state().equals("destroyed")) {
        return;
      }
      ObjectNode request = mapper.createObjectNode();
      ObjectNode e = request.putObject("exit_event");
      e.put("exit_code", (Integer) exit.get("exit_code"));
      e.put("oom_killed", (Boolean) exit.get("oom_killed"));
      synchronized (m) {
        e.put("requested_stop", m.requestedStop);
      }
      e.put("restarting", false).put("exited_at", Instant.now().toString());
      m.event(mapper, "exit", "stopped", "flyd", request);
      m.transition(Set.of("started", "stopping", "starting"), "stopped");
      if (m.config.path("auto_destroy").asBoolean(false)) {
        destroy(m);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      m.event(mapper, "launch", "failed", "flyd", null);
      m.state("failed");
    }
  }

  private Answer await(SimMachine m, Map<String, List<String>> q) throws InterruptedException {
    Set<String> states = new HashSet<>();
    for (String s : q.getOrDefault("state", List.of("started"))) {
      states.addAll(List.of(s.split(",")));
    }
    if (!STATES.containsAll(states)) {
      return new Answer(400, sim.error("invalid_argument: invalid state " + states));
    }
    int timeout = intParam(q, "timeout", 60);
    if (timeout < 1 || timeout > 60) {
      return new Answer(
          400, sim.error("invalid_argument: timeout must be between 1 and 60 seconds"));
    }
    String version = first(q, "version") != null ? first(q, "version") : first(q, "instance_id");
    if (states.contains("stopped") && version == null) {
      return new Answer(
          400, sim.error("invalid_argument: version is required to wait for stopped"));
    }
    if (states.remove("settled")) {
      states.addAll(Set.of("started", "stopped", "suspended", "failed", "destroyed"));
    }
    if (!m.await(states, TimeUnit.SECONDS.toMillis(timeout))) {
      return new Answer(408, sim.error("deadline_exceeded: timed out waiting for machine"));
    }
    return ok(
        mapper
            .createObjectNode()
            .put("ok", true)
            .put("state", m.state())
            .put("version", m.instanceId));
  }

  private Answer stop(SimMachine m, JsonNode body) {
    String st = m.state();
    if (st.equals("destroyed") || st.equals("destroying")) {
      return new Answer(412, sim.error("failed_precondition: machine is " + st));
    }
    if (!st.equals("started") && !st.equals("starting")) {
      return ok(mapper.createObjectNode().put("ok", true));
    }
    JsonNode sc = m.config.path("stop_config");
    String signal = text(body, "signal", sc.path("signal").asText("SIGINT"));
    Duration timeout =
        duration(body != null && body.has("timeout") ? body.get("timeout") : sc.get("timeout"));
    synchronized (m) {
      m.requestedStop = true;
    }
    m.transition(Set.of("started"), "stopping");
    m.event(mapper, "stop", "stopping", "user", null);
    runtime.signal(m.containerId, signal);
    sim.threads()
        .execute(
            () -> {
              try {
                if (!m.await(Set.of("stopped", "destroyed", "failed"), timeout.toMillis())) {
                  runtime.signal(m.containerId, "SIGKILL");
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    return ok(mapper.createObjectNode().put("ok", true));
  }

  private Answer signal(SimMachine m, JsonNode body) {
    if (!Set.of("started", "stopping").contains(m.state())) {
      return new Answer(412, sim.error("failed_precondition: machine is not running"));
    }
    JsonNode s = body == null ? null : body.get("signal");
    if (s == null) {
      return new Answer(400, sim.error("invalid_argument: signal is required"));
    }
    runtime.signal(m.containerId, s.isInt() ? Integer.toString(s.asInt()) : s.asText());
    return ok(mapper.createObjectNode().put("ok", true));
  }

  private Answer start(SimMachine m) {
    String st = m.state();
    if (!st.equals("stopped") && !st.equals("created")) {
      return new Answer(
          412, sim.error("failed_precondition: machine still active, refusing to start"));
    }
    String previous = st;
    sim.threads().execute(() -> launch(m));
    return ok(
        mapper
            .createObjectNode()
            .put("previous_state", previous)
            .put("migrated", false)
            .put("new_host", ""));
  }

  private Answer delete(SimMachine m, Map<String, List<String>> q) {
    boolean force = "true".equals(first(q, "force")) || "true".equals(first(q, "kill"));
    String st = m.state();
    if (st.equals("destroyed")) {
      return new Answer(404, sim.error("machine not found"));
    }
    if (!force && !Set.of("stopped", "suspended", "failed", "created").contains(st)) {
      return new Answer(
          412,
          sim.error(
              "failed_precondition: unable to destroy machine, not currently stopped, suspended, failed or created"));
    }
    destroy(m);
    return ok(mapper.createObjectNode().put("ok", true));
  }

  private void destroy(SimMachine m) {
    m.state("destroying");
    runtime.remove(m.containerId);
    m.event(mapper, "destroy", "destroyed", "user", null);
    m.state("destroyed");
  }

  /** A Go duration ("10s", "500ms", "1m") or nanoseconds; 5 s when absent. */
  static Duration duration(JsonNode v) {
    if (v == null || v.isNull()) {
      return Duration.ofSeconds(5);
    }
    if (v.isNumber()) {
      return Duration.ofNanos(v.asLong());
    }
    String s = v.asText().trim();
    if (s.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
    }
    if (s.endsWith("s")) {
      return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
    }
    if (s.endsWith("m")) {
      return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
    }
    return Duration.ofNanos(Long.parseLong(s));
  }

  private Answer ok(JsonNode body) {
    return new Answer(200, body);
  }

  private Answer invalid(String message) {
    return new Answer(422, sim.error("Validation failed: " + message));
  }

  private static String text(JsonNode body, String field, String dflt) {
    return body == null || !body.hasNonNull(field) ? dflt : body.get(field).asText();
  }

  private static String first(Map<String, List<String>> q, String k) {
    List<String> v = q.get(k);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  private static int intParam(Map<String, List<String>> q, String k, int dflt) {
    String v = first(q, k);
    try {
      return v == null ? dflt : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static List<String> copy(List<String> l) {
    return new ArrayList<>(l);
  }
}
