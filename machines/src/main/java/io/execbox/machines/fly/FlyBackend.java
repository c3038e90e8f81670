package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.machines.DaemonThreads;
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
import io.execbox.machines.agent.AgentChannel;
import io.execbox.machines.agent.AgentSecrets;
import io.execbox.machines.agent.AgentTransport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions as Fly Machines (the Machines API): one machine per session in the sessions app, its PID
 * 1 the in-machine agent in front of the session's command (docs/AGENT.md), reached over TCP at the
 * machine's private address with the session's secret. The machine starts on create and the agent
 * runs the command at once, keeping its output until it is acknowledged, so the backend is not
 * attachable on create: it reports the machine STARTING until Fly says it started, and then
 * attaches (or takes over) through the agent. Exit codes come from the agent, the machine's exit
 * event being the cross-check; a stop or a kill goes through the agent, and through the API when no
 * connection to the agent is open.
 */
public final class FlyBackend implements MachineBackend, MachineIo, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FlyBackend.class);

  private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration START_WAIT = Duration.ofMinutes(3);
  private static final Duration AGENT_RECONNECT = Duration.ofMinutes(6);
  private static final Duration AGENT_KILL_WAIT = Duration.ofSeconds(5);

  /** How long an answer of GET machine is reused by {@link #observe}. */
  private static final long OBSERVE_CACHE_NANOS = 300_000_000L;

  private static final int SIGTERM = 15;
  private static final int SIGKILL = 9;

  private final FlyOptions options;
  private final byte[] agentKey;
  private final ObjectMapper mapper = new ObjectMapper();
  private final FlyMachinesClient client;
  private final Map<String, FlySession> sessions = new ConcurrentHashMap<>();
  private final ExecutorService io =
      Executors.newCachedThreadPool(DaemonThreads.numbered("execbox-fly-io"));
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("execbox-fly-timer"));

  /**
   * @param agentKey the installation's key from which each session's agent secret is derived; every
   *     replica of an installation must be given the same
   */
  public FlyBackend(FlyOptions options, byte[] agentKey) {
    this.options = options;
    this.agentKey = agentKey.clone();
    this.client = new FlyMachinesClient(options, mapper);
  }

  /** The machine's name for a session: its id, in the letters Fly allows. */
  static String machineName(String sessionId) {
    return sessionId.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public String name() {
    return "fly";
  }

  @Override
  public void ping() {
    var a = client.getApp();
    if (!a.ok()) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "the Machines API at " + options.apiUrl() + " answered " + a.status() + " " + a.error());
    }
  }

  @Override
  public boolean attachableOnCreate() {
    return false;
  }

  @Override
  public MachineRef create(MachineSpec spec) {
    FlySession s = session(spec.sessionId());
    JsonNode known = s.machine() != null && !s.destroyed() ? s.machine() : null;
    if (known != null) {
      return FlyObservations.ref(spec.sessionId(), known);
    }
    String secret = AgentSecrets.derive(agentKey, spec.sessionId());
    var body = FlyMachineConfig.create(spec, options, secret, mapper);
    JsonNode m = client.create(body, FlyMachineConfig.META_SESSION, spec.sessionId());
    s.machine(m);
    log.debug("session {}: machine {} created", spec.sessionId(), m.path("id").asText());
    return FlyObservations.ref(spec.sessionId(), m);
  }

  /** The machine starts by itself on create: this waits until Fly says it has started. */
  @Override
  public void start(MachineRef ref) {
    awaitStarted(ref);
  }

  @Override
  public Observation observe(String sessionId) {
    FlySession s = session(sessionId);
    if (s.destroyed()) {
      return s.agentExit.get() == null
          ? Observation.absent()
          : FlyObservations.observe(s, s.machine());
    }
    return FlyObservations.observe(s, machine(s));
  }

  /** The session's machine, from the cache if fresh, else from the API; null when there is none. */
  private JsonNode machine(FlySession s) {
    synchronized (s) {
      if (s.fresh(OBSERVE_CACHE_NANOS)) {
        return s.machine();
      }
      String id = s.machineId();
      JsonNode m;
      if (id != null) {
        m = client.get(id);
      } else {
        List<JsonNode> found = client.list(Map.of(FlyMachineConfig.META_SESSION, s.sessionId));
        m = found.isEmpty() ? null : found.get(0);
      }
      if (m != null) {
        s.machine(m);
      }
      return m;
    }
  }

  private void awaitStarted(MachineRef ref) {
    FlySession s = session(ref.sessionId());
    long until = System.nanoTime() + START_WAIT.toNanos();
    while (true) {
      JsonNode m = machine(s);
      if (m == null) {
        throw gone(ref);
      }
      String state = m.path("state").asText();
      switch (state) {
        case "started", "stopping", "stopped", "suspended", "destroying", "destroyed":
          return;
        case "failed":
          throw new MachineException(Kind.RUNTIME, FlyObservations.observe(s, m).reason());
        default:
          break;
      }
      if (System.nanoTime() > until) {
        throw new MachineException(
            Kind.RUNTIME, "machine " + ref.machineId() + " has not started within " + START_WAIT);
      }
      String instance = m.path("instance_id").asText(null);
      if (client.waitFor(ref.machineId(), instance, "started", options.waitTimeout())) {
        s.machine(client.get(ref.machineId()));
      }
    }
  }

  @Override
  public void stop(MachineRef ref) {
    AgentChannel agent = session(ref.sessionId()).agent();
    if (agent != null && agent.signal(SIGTERM)) {
      return;
    }
    // Fly sends the signal to the agent, which passes it on, and stops the machine after the grace
    apiCall(() -> client.stop(ref.machineId(), "SIGTERM", options.stopGrace()));
  }

  @Override
  public void kill(MachineRef ref) {
    FlySession s = session(ref.sessionId());
    if (s.agentExit.get() != null) {
      return;
    }
    AgentChannel agent = s.agent();
    Instant sent = s.agentKilled.get();
    if (agent != null
        && (sent == null || sent.isAfter(Instant.now().minus(AGENT_KILL_WAIT)))
        && agent.signal(SIGKILL)) {
      s.agentKilled.compareAndSet(null, Instant.now());
      return;
    }
    apiCall(() -> client.signal(ref.machineId(), "SIGKILL"));
  }

  /** Runs a call on a machine; a machine that is gone or no longer running is fine. */
  private static void apiCall(Runnable r) {
    try {
      r.run();
    } catch (MachineException e) {
      String m = e.getMessage();
      if (!(m.contains(" 404 ") || m.contains(" 412 "))) {
        throw e;
      }
    }
  }

  @Override
  public void destroy(String sessionId) {
    FlySession s = session(sessionId);
    AgentChannel a = s.destroy();
    if (a != null) {
      a.close();
    }
    String id = s.machineId();
    if (id == null) {
      List<JsonNode> found = client.list(Map.of(FlyMachineConfig.META_SESSION, sessionId));
      for (JsonNode m : found) {
        client.destroy(m.path("id").asText());
      }
      return;
    }
    client.destroy(id);
  }

  @Override
  public boolean resumable(MachineRef ref) {
    return true;
  }

  @Override
  public List<MachineSummary> list() {
    List<MachineSummary> out = new ArrayList<>();
    for (JsonNode m :
        client.list(Map.of(FlyMachineConfig.META_INSTALLATION, options.installation()))) {
      JsonNode meta = m.path("config").path("metadata");
      String sessionId = meta.path(FlyMachineConfig.META_SESSION).asText(null);
      FlySession s = sessionId == null ? new FlySession("") : session(sessionId);
      out.add(
          new MachineSummary(
              m.path("id").asText(),
              sessionId,
              meta.path(FlyMachineConfig.META_OWNER).asText(null),
              FlyObservations.observe(s, m).state()));
    }
    return out;
  }

  // MachineIo, through the agent

  @Override
  public IoChannel attach(MachineRef ref, OutputSink sink) {
    awaitStarted(ref);
    FlySession s = session(ref.sessionId());
    JsonNode m = machine(s);
    if (m == null) {
      throw gone(ref);
    }
    String state = m.path("state").asText();
    if (!state.equals("started") && s.agentExit.get() == null) {
      throw new MachineException(
          Kind.RUNTIME,
          "machine " + ref.machineId() + " is " + state + ": its agent and its output are gone");
    }
    String ip = m.path("private_ip").asText(null);
    if (ip == null || ip.isEmpty()) {
      throw new MachineException(Kind.RUNTIME, "machine " + ref.machineId() + " has no private_ip");
    }
    String id = ref.sessionId();
    int port = options.agentPort();
    AgentChannel channel =
        new AgentChannel(
            id,
            () -> AgentTransport.tcp(new InetSocketAddress(InetAddress.getByName(ip), port), 5000),
            AgentSecrets.derive(agentKey, id).getBytes(StandardCharsets.US_ASCII),
            sink,
            io,
            timers,
            () -> alive(s),
            exit -> {
              s.agentExitAt.compareAndSet(null, Instant.now());
              s.agentOomKilled.compareAndSet(false, exit.oomKilled());
              s.agentExit.compareAndSet(null, exit.code());
              synchronized (s) {
                s.notifyAll();
              }
            },
            AGENT_RECONNECT);
    AgentChannel previous = s.agent();
    s.agent(channel);
    if (previous != null) {
      previous.close();
    }
    try {
      return channel.connect(ATTACH_TIMEOUT);
    } catch (IOException e) {
      throw new MachineException(Kind.RUNTIME, e.getMessage(), e);
    }
  }

  @Override
  public IoChannel replay(MachineRef ref, OutputSink sink) {
    // the agent kept the output (as much as its --retain holds): resume from its first byte
    return attach(ref, sink);
  }

  private boolean alive(FlySession s) {
    if (s.destroyed()) {
      return false;
    }
    try {
      MachineState st = FlyObservations.observe(s, machine(s)).state();
      return st == MachineState.RUNNING || st == MachineState.STARTING;
    } catch (MachineException e) {
      // the API does not answer: the agent may still be there
      return true;
    }
  }

  @Override
  public int awaitExit(MachineRef ref, Duration timeout) {
    FlySession s = session(ref.sessionId());
    long until = System.nanoTime() + timeout.toNanos();
    while (true) {
      Integer code = s.agentExit.get();
      if (code != null) {
        return code;
      }
      Observation obs = observe(ref.sessionId());
      switch (obs.state()) {
        case EXITED:
          return obs.exitCode();
        case BROKEN:
          throw new MachineException(Kind.RUNTIME, obs.reason());
        case ABSENT:
          throw gone(ref);
        default:
          break;
      }
      long left = until - System.nanoTime();
      if (left <= 0) {
        throw new MachineException(
            Kind.RUNTIME, "machine " + ref.machineId() + " has not exited within " + timeout);
      }
      synchronized (s) {
        try {
          s.wait(Math.max(1, Math.min(left / 1_000_000, 250)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new MachineException(Kind.RUNTIME, "interrupted", e);
        }
      }
    }
  }

  private FlySession session(String sessionId) {
    return sessions.computeIfAbsent(sessionId, FlySession::new);
  }

  private static MachineException gone(MachineRef ref) {
    return new MachineException(
        Kind.RUNTIME, "the machine of session " + ref.sessionId() + " is gone");
  }

  @Override
  public void close() {
    for (FlySession s : sessions.values()) {
      AgentChannel a = s.agent();
      if (a != null) {
        a.close();
      }
    }
    timers.shutdownNow();
    io.shutdownNow();
    client.close();
  }
}
