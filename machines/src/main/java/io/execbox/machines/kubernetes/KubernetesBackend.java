package io.execbox.machines.kubernetes;

import static io.execbox.machines.kubernetes.ApiFailures.failure;
import static io.execbox.machines.kubernetes.ApiFailures.gone;

import io.execbox.crds.Labels;
import io.execbox.crds.NetworkMode;
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
import io.execbox.machines.agent.AgentChannel;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions as Pods of a Kubernetes cluster. A Pod runs as soon as the kubelet can start it, so a
 * session's command waits behind the stdio gate ({@link PodSpecs#GATE}) until this backend holds a
 * {@code pods/attach} to it; {@link #start} releases it. The state of every session Pod comes from
 * one informer ({@link PodWatch}), so observing a session costs no request; exit codes come from
 * the Pod's status (attach never carries them) and are remembered after the Pod is gone. The stdio
 * is {@link PodIo}'s; what this process knows of each session is one {@link PodSession}.
 */
public final class KubernetesBackend implements MachineBackend, MachineIo, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesBackend.class);

  /** How long the kubelet may take to report an exit in the Pod's status, at most. */
  private static final Duration STATUS_LAG = Duration.ofSeconds(30);

  private static final int SIGTERM = 15;
  private static final int SIGKILL = 9;

  private final KubernetesClient client;
  private final PodOptions options;
  private final Duration stopGrace;
  private final PodSessions sessions = new PodSessions();
  private final PodWatch watch;
  private final PodIo io;

  /** Network modes whose shared NetworkPolicy exists. */
  private final Set<NetworkMode> policies = ConcurrentHashMap.newKeySet();

  /** How long after a kill through the agent its exit may take before the Pod is deleted. */
  private static final Duration AGENT_KILL_WAIT = Duration.ofSeconds(5);

  private final PodAgents agents;

  /**
   * @param agentKey the installation's key from which each session's agent secret is derived; every
   *     replica of an installation must be given the same
   */
  public KubernetesBackend(
      KubernetesClient client, PodOptions options, Duration stopGrace, byte[] agentKey) {
    this.client = client;
    this.options = options;
    this.stopGrace = stopGrace;
    this.watch = new PodWatch(client, options, sessions);
    this.agents = new PodAgents(client, options.namespace(), agentKey);
    this.io = new PodIo(watch, sessions, agents);
  }

  /** Starts watching the session Pods; blocks until the first list has arrived. */
  public KubernetesBackend start() {
    watch.start();
    return this;
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  @Override
  public void ping() {
    try {
      watch.pods().list(new ListOptionsBuilder().withLimit(1L).build());
    } catch (KubernetesClientException e) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "the Kubernetes API at "
              + client.getMasterUrl()
              + " does not answer: "
              + ApiFailures.message(e),
          e);
    }
  }

  @Override
  public boolean attachableOnCreate() {
    return false;
  }

  @Override
  public void onChange(Consumer<String> listener) {
    watch.onChange(listener);
  }

  @Override
  public MachineRef create(MachineSpec spec) {
    Pod existing = watch.current(spec.sessionId());
    if (existing != null) {
      return PodObservations.ref(existing);
    }
    DesiredObjects desired = PodSpecs.objects(spec, options, Instant.now());
    Pod pod = desired.pod();
    if (options.agentFor(spec.spec())) {
      agents.ensureBinary();
      pod = agents.withAgent(pod, spec.sessionId(), spec.spec().getCommand());
    }
    createQuietly(desired.files());
    NetworkMode mode = spec.spec().networkOrDefault();
    if (!policies.contains(mode)) {
      // shared by every session of the mode: created once per process (or found there)
      createQuietly(desired.networkPolicy());
      policies.add(mode);
    }
    createQuietly(desired.service());
    String name = pod.getMetadata().getName();
    try {
      Pod created = client.resource(pod).create();
      watch.wrote(created);
      log.debug("session {}: pod {} created", spec.sessionId(), name);
      return PodObservations.ref(created);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        Pod now = watch.pods().withName(name).get();
        if (now != null) {
          return PodObservations.ref(now);
        }
      }
      throw failure("create pod " + name, e);
    }
  }

  private void createQuietly(HasMetadata object) {
    if (object == null) {
      return;
    }
    try {
      client.resource(object).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw failure("create " + object.getKind() + " " + object.getMetadata().getName(), e);
      }
    }
  }

  @Override
  public void start(MachineRef ref) {
    Pod pod = watch.current(ref.sessionId());
    if (pod == null) {
      throw gone(ref);
    }
    if (PodIo.gated(pod)) {
      io.release(ref);
    }
    String patch =
        "{\"metadata\":{\"annotations\":{\""
            + PodSpecs.STARTED_ANNOTATION
            + "\":\""
            + Instant.now()
            + "\"}}}";
    try {
      watch.wrote(
          watch.pods().withName(ref.name()).patch(PatchContext.of(PatchType.JSON_MERGE), patch));
    } catch (KubernetesClientException e) {
      throw failure("mark pod " + ref.name() + " started", e);
    }
  }

  @Override
  public Observation observe(String sessionId) {
    return watch.observe(sessionId);
  }

  @Override
  public void stop(MachineRef ref) {
    AgentChannel agent = io.agent(ref.sessionId());
    if (agent != null && agent.signal(SIGTERM)) {
      // the agent passes it to the command and reports its exit after its last output
      return;
    }
    // the kubelet sends SIGTERM (which an agent passes on), then SIGKILL after the grace period
    delete(ref.name(), Math.max(1, stopGrace.toSeconds()));
  }

  @Override
  public void kill(MachineRef ref) {
    PodSession s = sessions.of(ref.sessionId());
    Instant exited = s.exitSeen.get();
    if (exited != null && exited.isAfter(Instant.now().minus(STATUS_LAG))) {
      // it has exited already and its code is on its way in the Pod's status: removing the Pod
      // now would lose it
      return;
    }
    AgentChannel agent = io.agent(ref.sessionId());
    Instant sent = s.agentKilled.get();
    if (agent != null
        && (sent == null || sent.isAfter(Instant.now().minus(AGENT_KILL_WAIT)))
        && agent.signal(SIGKILL)) {
      // the exit comes from the agent after the command's last output; only if it does not come
      // does a later kill remove the Pod
      s.agentKilled.compareAndSet(null, Instant.now());
      return;
    }
    s.killed.compareAndSet(null, Instant.now());
    io.killed(ref.sessionId());
    delete(ref.name(), 0);
    watch.signalChange(ref.sessionId());
  }

  private void delete(String name, long graceSeconds) {
    try {
      watch.pods().withName(name).withGracePeriod(graceSeconds).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw failure("delete pod " + name, e);
      }
    }
  }

  @Override
  public void destroy(String sessionId) {
    for (var c : sessions.of(sessionId).destroy()) {
      if (c != null) {
        c.close();
      }
    }
    String name = PodSpecs.name(sessionId);
    try {
      watch.pods().withName(name).withGracePeriod(0).delete();
      client
          .secrets()
          .inNamespace(options.namespace())
          .withName(PodSpecs.filesSecretName(sessionId))
          .delete();
      client.services().inNamespace(options.namespace()).withName(name).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw failure("delete the objects of session " + sessionId, e);
      }
    }
  }

  @Override
  public boolean resumable(MachineRef ref) {
    Pod pod = watch.current(ref.sessionId());
    return pod != null && PodAgents.hasAgent(pod);
  }

  @Override
  public List<MachineSummary> list() {
    List<MachineSummary> out = new ArrayList<>();
    for (Pod p : watch.list()) {
      Map<String, String> l = p.getMetadata().getLabels();
      out.add(
          new MachineSummary(
              p.getMetadata().getUid(),
              l.get(Labels.SESSION),
              l.get(Labels.OWNER),
              PodObservations.observe(p).state()));
    }
    return out;
  }

  // MachineIo, by PodIo

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

  /** The I/O side, for tests that wire an attach themselves or shorten the linger. */
  PodIo io() {
    return io;
  }

  @Override
  public void close() {
    io.close();
    watch.close();
  }
}
