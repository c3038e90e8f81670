package io.execbox.machines.kubernetes;

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
import io.execbox.machines.StreamKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecListener;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions as Pods of a Kubernetes cluster. A Pod runs as soon as the kubelet can start it, so a
 * session's command waits behind the stdio gate ({@link PodSpecs#GATE}) until this backend holds a
 * {@code pods/attach} to it; {@link #start} releases it. The state of every session Pod comes from
 * one informer, so observing a session costs no request; exit codes come from the Pod's status
 * (attach never carries them) and are remembered after the Pod is gone.
 */
public final class KubernetesBackend implements MachineBackend, MachineIo, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesBackend.class);
  private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(15);

  /** The longest a session can run (API.md) and some: an exit is never waited for longer. */
  private static final Duration EXIT_WAIT = Duration.ofMinutes(6);

  /** How long the kubelet may take to report an exit in the Pod's status, at most. */
  private static final Duration STATUS_LAG = Duration.ofSeconds(30);

  /** How long an attach or log follow may stay open after its container has terminated. */
  private static final Duration LINGER = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final PodOptions options;
  private final Duration stopGrace;
  private final Function<String, Owner> owners;

  /** The last end seen of recent sessions, kept after their Pods are gone; bounded. */
  private final Map<String, Observation> ended = recent();

  /**
   * When an attach saw a command's output end because it exited: more precise than the kubelet's
   * whole seconds, and proof that a later kill came too late to matter.
   */
  private final Map<String, Instant> exitTimes = recent();

  /** Sessions whose objects were removed: their Pods' last events are not remembered. */
  private final Map<String, Boolean> destroyed = recent();

  private final Map<String, Instant> killed = new ConcurrentHashMap<>();
  private final Map<String, AttachChannel> attaches = new ConcurrentHashMap<>();

  /** The log follows this process holds, by session. */
  private final Map<String, LogChannel> follows = new ConcurrentHashMap<>();

  /** The reduced state each session Pod was last seen in, to announce only real changes. */
  private final Map<String, MachineState> states = new ConcurrentHashMap<>();

  /** Network modes whose shared NetworkPolicy exists. */
  private final java.util.Set<io.execbox.crds.NetworkMode> policies =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Pods as this process last created or patched them, while the informer lags behind. */
  private final Map<String, Pod> ownWrites = new ConcurrentHashMap<>();

  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final Object changed = new Object();
  private final ExecutorService io;
  private final java.util.concurrent.ScheduledExecutorService timers;
  private volatile Duration linger = LINGER;
  private volatile SharedIndexInformer<Pod> informer;

  public KubernetesBackend(KubernetesClient client, PodOptions options, Duration stopGrace) {
    this(client, options, stopGrace, sessionId -> null);
  }

  /**
   * @param owners the Session resource owning a session's objects (kubernetes mode), or null when
   *     there is none (standalone mode: the objects are removed by name and label)
   */
  public KubernetesBackend(
      KubernetesClient client,
      PodOptions options,
      Duration stopGrace,
      Function<String, Owner> owners) {
    this.client = client;
    this.options = options;
    this.stopGrace = stopGrace;
    this.owners = owners;
    AtomicInteger n = new AtomicInteger();
    this.io =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "execbox-k8s-io-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "execbox-k8s-timer");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts watching the session Pods; blocks until the first list has arrived. */
  public synchronized KubernetesBackend start() {
    if (informer == null) {
      try {
        informer = pods().withLabels(selector()).inform(new Events(), 60_000);
      } catch (KubernetesClientException e) {
        throw failure("watch the session pods", e);
      }
    }
    return this;
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  @Override
  public void ping() {
    try {
      pods().list(new ListOptionsBuilder().withLimit(1L).build());
    } catch (KubernetesClientException e) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "the Kubernetes API at " + client.getMasterUrl() + " does not answer: " + message(e),
          e);
    }
  }

  @Override
  public boolean attachableOnCreate() {
    return false;
  }

  @Override
  public void onChange(Consumer<String> listener) {
    listeners.add(listener);
  }

  @Override
  public MachineRef create(MachineSpec spec) {
    String name = PodSpecs.name(spec.sessionId());
    Pod existing = current(spec.sessionId());
    if (existing != null) {
      return PodObservations.ref(existing);
    }
    Owner owner = owners.apply(spec.sessionId());
    createQuietly(PodSpecs.filesSecret(spec, options, owner));
    ensureNetworkPolicy(spec.spec().networkOrDefault());
    createQuietly(PodSpecs.service(spec, options, owner));
    Pod pod = PodSpecs.pod(spec, options, owner, deadlineSeconds(spec));
    try {
      Pod created = client.resource(pod).create();
      wrote(created);
      log.debug("session {}: pod {} created", spec.sessionId(), name);
      return PodObservations.ref(created);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        Pod now = pods().withName(name).get();
        if (now != null) {
          return PodObservations.ref(now);
        }
      }
      throw failure("create pod " + name, e);
    }
  }

  /** The shared NetworkPolicy of a network mode, created once per process (or found there). */
  private void ensureNetworkPolicy(io.execbox.crds.NetworkMode mode) {
    if (policies.contains(mode)) {
      return;
    }
    createQuietly(PodSpecs.networkPolicy(mode, options));
    policies.add(mode);
  }

  /**
   * The Pod's own deadline, a few seconds after the session's: the lifecycle normally acts first.
   */
  private static long deadlineSeconds(MachineSpec spec) {
    var r = spec.spec().getResources();
    long ms = r != null && r.getTimeoutMs() != null ? r.getTimeoutMs() : 300_000L;
    return (ms + 999) / 1000 + 5;
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
    Pod pod = current(ref.sessionId());
    if (pod == null) {
      throw gone(ref);
    }
    if (gated(pod)) {
      AttachChannel held = attaches.get(ref.sessionId());
      try {
        if (held != null) {
          held.release();
        } else {
          // nobody holds its stdio (this process did not attach): release it through a brief
          // attach, whose end closes the command's stdin
          ExecWatch w = container(ref).redirectingInput().attach();
          try {
            w.getInput().write('\n');
            w.getInput().flush();
          } finally {
            w.close();
          }
        }
      } catch (IOException | KubernetesClientException e) {
        throw new MachineException(
            Kind.RUNTIME, "cannot release the command of pod " + ref.name() + ": " + e, e);
      }
    }
    String patch =
        "{\"metadata\":{\"annotations\":{\""
            + PodSpecs.STARTED_ANNOTATION
            + "\":\""
            + Instant.now()
            + "\"}}}";
    try {
      wrote(pods().withName(ref.name()).patch(PatchContext.of(PatchType.JSON_MERGE), patch));
    } catch (KubernetesClientException e) {
      throw failure("mark pod " + ref.name() + " started", e);
    }
  }

  @Override
  public Observation observe(String sessionId) {
    Pod pod = current(sessionId);
    if (pod == null) {
      Observation last = ended.get(sessionId);
      if (last != null) {
        return last;
      }
      Instant k = killed.get(sessionId);
      return k == null ? Observation.absent() : killedObservation(null, k);
    }
    Observation obs = exitSeen(PodObservations.observe(pod));
    Instant k = killed.get(sessionId);
    if (k != null && obs.state() != MachineState.EXITED && obs.state() != MachineState.BROKEN) {
      return killedObservation(obs, k);
    }
    return obs;
  }

  /** An exit's time as the attach saw it, when the kubelet's has whole seconds only. */
  private Observation exitSeen(Observation obs) {
    Instant seen = obs.ref() == null ? null : exitTimes.get(obs.ref().sessionId());
    if (obs.state() != MachineState.EXITED
        || seen == null
        || obs.finishedAt() == null
        || obs.finishedAt().getNano() != 0
        || seen.isBefore(obs.finishedAt())
        || seen.isAfter(obs.finishedAt().plusSeconds(3))) {
      return obs;
    }
    return new Observation(
        obs.state(),
        obs.ref(),
        obs.exitCode(),
        obs.oomKilled(),
        obs.reason(),
        obs.startedAt(),
        seen,
        obs.ports());
  }

  private static Observation killedObservation(Observation before, Instant at) {
    return new Observation(
        MachineState.EXITED,
        before == null ? null : before.ref(),
        PodObservations.KILLED,
        false,
        "Killed",
        before == null ? null : before.startedAt(),
        at,
        before == null ? List.of() : before.ports());
  }

  @Override
  public void stop(MachineRef ref) {
    // the kubelet sends SIGTERM, then SIGKILL after the grace period
    delete(ref.name(), Math.max(1, stopGrace.toSeconds()));
  }

  @Override
  public void kill(MachineRef ref) {
    AttachChannel held = attaches.get(ref.sessionId());
    Instant exited = exitTimes.get(ref.sessionId());
    if (exited != null && exited.isAfter(Instant.now().minus(STATUS_LAG))) {
      // it has exited already and its code is on its way in the Pod's status: removing the Pod
      // now would lose it
      return;
    }
    killed.putIfAbsent(ref.sessionId(), Instant.now());
    if (held != null) {
      held.killed();
    }
    delete(ref.name(), 0);
    signalChange(ref.sessionId());
  }

  private void delete(String name, long graceSeconds) {
    try {
      pods().withName(name).withGracePeriod(graceSeconds).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw failure("delete pod " + name, e);
      }
    }
  }

  @Override
  public void destroy(String sessionId) {
    destroyed.put(sessionId, Boolean.TRUE);
    AttachChannel held = attaches.remove(sessionId);
    if (held != null) {
      held.close();
    }
    LogChannel following = follows.remove(sessionId);
    if (following != null) {
      following.close();
    }
    String name = PodSpecs.name(sessionId);
    ownWrites.remove(name);
    try {
      pods().withName(name).withGracePeriod(0).delete();
      client.secrets().inNamespace(options.namespace()).withName(name + "-files").delete();
      client.services().inNamespace(options.namespace()).withName(name).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw failure("delete the objects of session " + sessionId, e);
      }
    }
    ended.remove(sessionId);
    killed.remove(sessionId);
    exitTimes.remove(sessionId);
  }

  @Override
  public List<MachineSummary> list() {
    List<Pod> all;
    SharedIndexInformer<Pod> i = informer;
    try {
      all = i != null ? i.getStore().list() : pods().withLabels(selector()).list().getItems();
    } catch (KubernetesClientException e) {
      throw failure("list session pods", e);
    }
    List<MachineSummary> out = new ArrayList<>();
    for (Pod p : all) {
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

  // MachineIo

  @Override
  public IoChannel attach(MachineRef ref, OutputSink sink) {
    Pod pod = current(ref.sessionId());
    if (pod == null) {
      throw gone(ref);
    }
    if (!gated(pod)) {
      return followLog(ref, sink, true);
    }
    return attachGated(ref, sink, Wiring.DIRECT);
  }

  /**
   * How an attach's listener and output streams are wired to its channel: directly, or (in tests)
   * through something that loses what a misbehaving runtime would lose.
   */
  interface Wiring {
    Wiring DIRECT =
        new Wiring() {
          @Override
          public ExecListener listener(ExecListener channel) {
            return channel;
          }

          @Override
          public OutputStream output(OutputStream channel) {
            return channel;
          }
        };

    ExecListener listener(ExecListener channel);

    OutputStream output(OutputStream channel);
  }

  /** Attaches to a gated Pod's container, held until its command has exited. */
  AttachChannel attachGated(MachineRef ref, OutputSink sink, Wiring wiring) {
    AttachChannel channel = new AttachChannel(this, ref, sink, io);
    try {
      ExecWatch w =
          container(ref)
              .redirectingInput()
              .writingOutput(wiring.output(channel.output(StreamKind.STDOUT)))
              .writingError(wiring.output(channel.output(StreamKind.STDERR)))
              .usingListener(wiring.listener(channel))
              .attach();
      channel.connect(w, ATTACH_TIMEOUT);
    } catch (KubernetesClientException e) {
      throw failure("attach to pod " + ref.name(), e);
    }
    attaches.put(ref.sessionId(), channel);
    noticeTermination(ref.sessionId(), channel);
    return channel;
  }

  @Override
  public IoChannel replay(MachineRef ref, OutputSink sink) {
    return followLog(ref, sink, false);
  }

  private IoChannel followLog(MachineRef ref, OutputSink sink, boolean withStdin) {
    LogChannel channel = new LogChannel(this, ref, sink, io);
    try {
      if (withStdin && observe(ref.sessionId()).state() == MachineState.CREATED) {
        channel.stdin(container(ref).redirectingInput().attach());
      }
      channel.follow(container(ref).watchLog(channel.output()));
    } catch (KubernetesClientException e) {
      channel.close();
      throw failure("read the log of pod " + ref.name(), e);
    }
    follows.put(ref.sessionId(), channel);
    noticeTermination(ref.sessionId(), channel);
    return channel;
  }

  @Override
  public int awaitExit(MachineRef ref, Duration timeout) {
    long until = System.nanoTime() + timeout.toNanos();
    while (true) {
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
            Kind.RUNTIME, "pod " + ref.name() + " has not exited within " + timeout);
      }
      synchronized (changed) {
        try {
          changed.wait(Math.max(1, Math.min(left / 1_000_000, 500)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new MachineException(Kind.RUNTIME, "interrupted", e);
        }
      }
    }
  }

  /** The whole log of the session's container (stdout and stderr merged, in arrival order). */
  byte[] readLog(MachineRef ref) {
    try (InputStream in = container(ref).getLogInputStream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new MachineException(Kind.RUNTIME, "cannot read the log of " + ref.name(), e);
    } catch (KubernetesClientException e) {
      throw failure("read the log of pod " + ref.name(), e);
    }
  }

  Duration exitWait() {
    return EXIT_WAIT;
  }

  void commandEnded(String sessionId, Instant at) {
    exitTimes.putIfAbsent(sessionId, at);
  }

  void forget(String sessionId, AttachChannel channel) {
    attaches.remove(sessionId, channel);
  }

  void forget(String sessionId, LogChannel channel) {
    follows.remove(sessionId, channel);
  }

  /** Runs {@code r} once the linger after a container's termination has passed. */
  void afterLinger(Runnable r) {
    try {
      timers.schedule(() -> io.execute(r), linger.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing: the channels are being closed anyway
    }
  }

  Duration linger() {
    return linger;
  }

  /** Shortens the linger, so that a test need not wait for it. */
  void linger(Duration d) {
    this.linger = d;
  }

  /** Tells a channel opened after its container terminated (the informer's event went before). */
  private void noticeTermination(String sessionId, PodChannel channel) {
    MachineState s = observe(sessionId).state();
    if (s == MachineState.EXITED || s == MachineState.BROKEN || s == MachineState.ABSENT) {
      channel.containerTerminated();
    }
  }

  /** Tells the channels reading a session's Pod that its container has terminated. */
  private void terminated(String sessionId) {
    PodChannel a = attaches.get(sessionId);
    if (a != null) {
      a.containerTerminated();
    }
    PodChannel f = follows.get(sessionId);
    if (f != null) {
      f.containerTerminated();
    }
  }

  private static <V> Map<String, V> recent() {
    return java.util.Collections.synchronizedMap(
        new java.util.LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, V> e) {
            return size() > 10_000;
          }
        });
  }

  @Override
  public void close() {
    attaches.values().forEach(AttachChannel::close);
    follows.values().forEach(LogChannel::close);
    timers.shutdownNow();
    SharedIndexInformer<Pod> i = informer;
    if (i != null) {
      i.close();
    }
    io.shutdownNow();
  }

  // helpers

  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
          Pod, io.fabric8.kubernetes.api.model.PodList, PodResource>
      pods() {
    return client.pods().inNamespace(options.namespace());
  }

  private io.fabric8.kubernetes.client.dsl.ContainerResource container(MachineRef ref) {
    return pods().withName(ref.name()).inContainer(PodSpecs.CONTAINER);
  }

  private Map<String, String> selector() {
    Map<String, String> s = new java.util.LinkedHashMap<>();
    s.put(Labels.MANAGED, "true");
    if (options.installation() != null) {
      s.put(Labels.INSTALLATION, options.installation());
    }
    return s;
  }

  /** The session's Pod: from the informer's cache, else (not seen yet) from the apiserver. */
  private Pod current(String sessionId) {
    String name = PodSpecs.name(sessionId);
    SharedIndexInformer<Pod> i = informer;
    if (i != null) {
      Pod cached = i.getStore().getByKey(options.namespace() + "/" + name);
      Pod mine = ownWrites.get(name);
      if (mine != null && (cached == null || version(cached) < version(mine))) {
        return mine; // the informer has not caught up with our own create or patch yet
      }
      ownWrites.remove(name);
      if (cached != null || i.hasSynced()) {
        return cached; // a synced informer that lacks the Pod means there is none
      }
    }
    try {
      return pods().withName(name).get();
    } catch (KubernetesClientException e) {
      throw failure("read pod " + name, e);
    }
  }

  /** Remembers a Pod as this process last wrote it, until the informer has seen that version. */
  private void wrote(Pod pod) {
    if (pod != null && pod.getMetadata() != null) {
      ownWrites.put(pod.getMetadata().getName(), pod);
    }
  }

  private static long version(Pod pod) {
    try {
      return Long.parseLong(pod.getMetadata().getResourceVersion());
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static boolean gated(Pod pod) {
    Map<String, String> l = pod.getMetadata().getLabels();
    return l != null && "true".equals(l.get(PodSpecs.GATED_LABEL));
  }

  private void signalChange(String sessionId) {
    synchronized (changed) {
      changed.notifyAll();
    }
    if (sessionId != null) {
      for (Consumer<String> l : listeners) {
        try {
          l.accept(sessionId);
        } catch (RuntimeException e) {
          log.debug("change listener failed: {}", e.toString());
        }
      }
    }
  }

  private static MachineException gone(MachineRef ref) {
    return new MachineException(Kind.RUNTIME, "pod " + ref.name() + " is gone");
  }

  private MachineException failure(String what, KubernetesClientException e) {
    int code = e.getCode();
    Kind kind;
    if (code == 0 || code == 502 || code == 503 || code == 504) {
      kind = Kind.UNAVAILABLE;
    } else if (code == 400 || code == 422) {
      kind = Kind.INVALID_SPEC;
    } else {
      kind = Kind.RUNTIME;
    }
    return new MachineException(kind, "cannot " + what + ": " + message(e), e);
  }

  private static String message(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : e.getMessage();
  }

  /** Keeps exit codes past the Pod's removal and wakes whoever waits for a change. */
  private final class Events implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      seen(pod);
    }

    @Override
    public void onUpdate(Pod before, Pod pod) {
      seen(pod);
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      states.remove(pod.getMetadata().getName());
      seen(pod, true);
    }

    private void seen(Pod pod) {
      seen(pod, false);
    }

    private void seen(Pod pod, boolean deleted) {
      String sessionId = pod.getMetadata().getLabels().get(Labels.SESSION);
      if (sessionId == null || destroyed.containsKey(sessionId)) {
        return;
      }
      Observation obs = PodObservations.observe(pod);
      if (obs.state() == MachineState.EXITED || obs.state() == MachineState.BROKEN) {
        ended.putIfAbsent(sessionId, obs);
      }
      if (deleted || obs.state() == MachineState.EXITED || obs.state() == MachineState.BROKEN) {
        terminated(sessionId);
      }
      MachineState before = deleted ? null : states.put(pod.getMetadata().getName(), obs.state());
      if (!deleted
          && (before == obs.state() || (before == null && obs.state() == MachineState.STARTING))) {
        // nothing the lifecycle acts on has changed (the echo of this process's own create, say)
        synchronized (changed) {
          changed.notifyAll();
        }
        return;
      }
      signalChange(sessionId);
    }
  }
}
