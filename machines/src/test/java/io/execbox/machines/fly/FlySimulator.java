package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local Fly Machines API for tests and scripts, on loopback: the machines endpoints of one app
 * (create, get, list with metadata filters, wait with its 408, stop, signal, start, delete with
 * force, events), Fly's error bodies and status codes, and its documented rate limits, whose
 * violations it counts. Each machine is a real container of the Podman of DOCKER_HOST, given its
 * own loopback address (127.77.x.y) as its private_ip with the machine's private ports published
 * there, so a client reaches a machine's processes as it would over Fly's private network and
 * nothing leaves loopback. {@link #faults()} injects 429 bursts, 5xx, slow answers and ambiguous
 * creates. What it knows of Fly, and from where, is in docs/FLY-BACKEND.md.
 */
public final class FlySimulator implements AutoCloseable {
  private final ObjectMapper mapper = new ObjectMapper();
  private final String token;
  private final String app;
  private final List<Integer> privatePorts;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> daemon(r, "flysim"));
  private final SimRuntime runtime;
  private final SimRateLimits limits = new SimRateLimits();
  private final SimFaults faults = new SimFaults();
  private final Map<String, SimMachine> machines = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final AtomicInteger nextIp = new AtomicInteger();
  private final AtomicLong created = new AtomicLong();
  final SimHandlers handlers;
  private volatile Duration startDelay = Duration.ZERO;

  /**
   * @param dockerHost the runtime's address (DOCKER_HOST)
   * @param token the API token clients must send (Bearer or FlyV1)
   * @param app the one app this API knows
   * @param privatePorts the ports published on each machine's private address
   */
  public FlySimulator(String dockerHost, String token, String app, List<Integer> privatePorts)
      throws IOException {
    this.token = token;
    this.app = app;
    this.privatePorts = List.copyOf(privatePorts);
    String id = SimMachine.hex(6);
    this.runtime = new SimRuntime(dockerHost, id, mapper);
    this.handlers = new SimHandlers(this, mapper, runtime);
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The API's base URL, without {@code /v1}. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public SimFaults faults() {
    return faults;
  }

  /** How long a created machine takes to start (default none). */
  public FlySimulator startDelay(Duration d) {
    this.startDelay = d;
    return this;
  }

  Duration startDelay() {
    return startDelay;
  }

  /** Requests that broke the documented rate limits. */
  public long rateLimitViolations() {
    return limits.violations();
  }

  /** Sets the violation count back, after a test that broke the limits on purpose. */
  public void resetViolations(long to) {
    limits.reset(to);
  }

  public Map<String, AtomicLong> rateLimitViolationsByAction() {
    return limits.violationsByAction();
  }

  /** Requests received, by action. */
  public long requests(String action) {
    AtomicLong n = requests.get(action);
    return n == null ? 0 : n.get();
  }

  /** Machines created since the start, destroyed ones included. */
  public long machinesCreated() {
    return created.get();
  }

  /** The machines not destroyed, by id. */
  public List<String> liveMachines() {
    List<String> out = new ArrayList<>();
    machines.values().stream()
        .filter(m -> !m.state().equals("destroyed"))
        .forEach(m -> out.add(m.id));
    return out;
  }

  /** Each container of this simulator still there, with its name and state, for a failure. */
  public List<String> containersDescribed() {
    List<String> out = new ArrayList<>();
    for (String c : runtime.containers()) {
      out.add(runtime.describe(c));
    }
    return out;
  }

  /**
   * Removes every container of this simulator, so that one test's leftover fails only that test.
   */
  public void removeContainers() {
    for (String c : runtime.containers()) {
      runtime.remove(c);
    }
  }

  /** The machines whose metadata has {@code key} = {@code value}, destroyed ones included. */
  public List<String> machinesWithMetadata(String key, String value) {
    List<String> out = new ArrayList<>();
    for (SimMachine m : machines.values()) {
      if (value.equals(m.config.path("metadata").path(key).asText(null))) {
        out.add(m.id);
      }
    }
    return out;
  }

  SimMachine machine(String id) {
    return machines.get(id);
  }

  Iterable<SimMachine> machines() {
    return machines.values();
  }

  List<Integer> privatePorts() {
    return privatePorts;
  }

  void add(SimMachine m) {
    machines.put(m.id, m);
    created.incrementAndGet();
  }

  String nextPrivateIp() {
    int n = nextIp.getAndIncrement();
    return "127.77." + (n / 250) + "." + (n % 250 + 1);
  }

  ExecutorService threads() {
    return threads;
  }

  /** Routes one request: auth, rate limits, faults, then the endpoint. */
  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String[] p = x.getRequestURI().getRawPath().split("/");
      // "", "v1", "apps", app, "machines", id, verb
      Route r = route(x.getRequestMethod(), p);
      if (r == null) {
        send(x, 404, error("not found"));
        return;
      }
      requests.computeIfAbsent(r.action, k -> new AtomicLong()).incrementAndGet();
      if (!authorized(x.getRequestHeaders().getFirst("Authorization"))) {
        send(x, 401, error("invalid token"));
        return;
      }
      if (!p[3].equals(app)) {
        send(x, 404, error("app not found"));
        return;
      }
      if (!limits.allow(r.action, r.machineId != null ? r.machineId : app)) {
        send(x, 429, error("rate limit exceeded"));
        return;
      }
      Duration delay = faults.delay(r.action);
      if (delay != null) {
        Thread.sleep(delay.toMillis());
      }
      if (faults.takeTooMany(r.action)) {
        send(x, 429, error("rate limit exceeded"));
        return;
      }
      int fault = faults.takeServerError(r.action);
      if (fault != 0) {
        send(x, fault, error("internal server error"));
        return;
      }
      Map<String, List<String>> q = query(x.getRequestURI().getRawQuery());
      JsonNode body = null;
      byte[] raw = x.getRequestBody().readAllBytes();
      if (raw.length > 0) {
        try {
          body = mapper.readTree(raw);
        } catch (IOException e) {
          send(x, 400, error("invalid JSON body: " + e.getMessage()));
          return;
        }
      }
      SimHandlers.Answer a = handlers.handle(r.action, r.machineId, q, body);
      if (a == null) {
        // a dropped connection: closed without an answer
        return;
      }
      send(x, a.status(), a.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      send(x, 500, error("internal error: " + e.getMessage()));
    }
  }

  private record Route(String action, String machineId) {}

  private static Route route(String method, String[] p) {
    if (p.length < 4 || !p[1].equals("v1") || !p[2].equals("apps")) {
      return null;
    }
    if (p.length == 4) {
      return method.equals("GET") ? new Route("get_app", null) : null;
    }
    if (!p[4].equals("machines")) {
      return null;
    }
    if (p.length == 5) {
      return switch (method) {
        case "GET" -> new Route("list", null);
        case "POST" -> new Route("create", null);
        default -> null;
      };
    }
    String id = p[5];
    if (p.length == 6) {
      return switch (method) {
        case "GET" -> new Route("get", id);
        case "DELETE" -> new Route("delete", id);
        default -> null;
      };
    }
    String verb = p[6];
    boolean get = method.equals("GET");
    return switch (verb) {
      case "wait", "events" -> get ? new Route(verb, id) : null;
      case "stop", "start", "signal" -> get ? null : new Route(verb, id);
      default -> null;
    };
  }

  private boolean authorized(String header) {
    return header != null && (header.equals("Bearer " + token) || header.equals("FlyV1 " + token));
  }

  ObjectNode error(String message) {
    return mapper.createObjectNode().put("error", message);
  }

  private void send(HttpExchange x, int status, JsonNode body) throws IOException {
    byte[] b = mapper.writeValueAsBytes(body);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.getResponseHeaders().set("fly-request-id", SimMachine.ulid());
    x.sendResponseHeaders(status, b.length);
    x.getResponseBody().write(b);
  }

  private static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> q = new ConcurrentHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String kv : raw.split("&")) {
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      q.computeIfAbsent(k, key -> new ArrayList<>()).add(v);
    }
    return q;
  }

  ArrayNode array() {
    return mapper.createArrayNode();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Stops answering and removes every container this simulator made. */
  @Override
  public void close() {
    server.stop(0);
    removeContainers();
    threads.shutdownNow();
  }

  /**
   * Runs a simulator until killed: {@code FlySimulator [--app NAME] [--agent-port P]}, the token
   * from FLY_SIMULATOR_TOKEN (default {@code sim-token}); prints its URL.
   */
  public static void main(String[] args) throws Exception {
    String app = "execbox-sessions";
    int agentPort = 7070;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--app" -> app = args[i + 1];
        case "--agent-port" -> agentPort = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    String token = System.getenv().getOrDefault("FLY_SIMULATOR_TOKEN", "sim-token");
    FlySimulator sim =
        new FlySimulator(System.getenv("DOCKER_HOST"), token, app, List.of(agentPort));
    Runtime.getRuntime().addShutdownHook(new Thread(sim::close));
    System.out.println("EXECBOX_FLY_API_URL=" + sim.url());
    System.out.println("EXECBOX_FLY_APP=" + app);
    Thread.currentThread().join();
  }
}
