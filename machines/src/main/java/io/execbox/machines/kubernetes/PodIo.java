package io.execbox.machines.kubernetes;

import static io.execbox.machines.kubernetes.ApiFailures.failure;
import static io.execbox.machines.kubernetes.ApiFailures.gone;

import io.execbox.machines.DaemonThreads;
import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineIo;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import io.execbox.machines.agent.AgentChannel;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ContainerResource;
import io.fabric8.kubernetes.client.dsl.ExecListener;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The stdio of session Pods: the {@code pods/attach} held from before a gated command is released,
 * the log followed (for a Pod whose command ran before anything attached, or a replay), the wait
 * for an exit, and the release of the stdio gate. Each session's channels are held in its {@link
 * PodSession}, where the {@link PodWatch} finds them to tell them of their container's end.
 */
final class PodIo implements MachineIo, AutoCloseable {
  private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(15);

  /** The longest a session can run (API.md) and some: an exit is never waited for longer. */
  private static final Duration EXIT_WAIT = Duration.ofMinutes(6);

  /** How long an attach or log follow may stay open after its container has terminated. */
  private static final Duration LINGER = Duration.ofSeconds(5);

  /** What the stdio gate waits for before it runs the command. */
  static final byte[] GATE_LINE = {'\n'};

  /** How long a lost agent is dialled again while its Pod runs. */
  private static final Duration AGENT_RECONNECT = Duration.ofMinutes(6);

  private final PodWatch watch;
  private final PodSessions sessions;
  private final PodAgents agents;
  private final ExecutorService io =
      Executors.newCachedThreadPool(DaemonThreads.numbered("execbox-k8s-io"));
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("execbox-k8s-timer"));
  private volatile Duration linger = LINGER;

  PodIo(PodWatch watch, PodSessions sessions, PodAgents agents) {
    this.watch = watch;
    this.sessions = sessions;
    this.agents = agents;
  }

  @Override
  public IoChannel attach(MachineRef ref, OutputSink sink) {
    Pod pod = watch.current(ref.sessionId());
    if (pod == null) {
      throw gone(ref);
    }
    if (PodAgents.hasAgent(pod)) {
      return attachAgent(ref, pod, sink);
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
    sessions.of(ref.sessionId()).hold(channel);
    noticeTermination(ref.sessionId(), channel);
    return channel;
  }

  @Override
  public IoChannel replay(MachineRef ref, OutputSink sink) {
    Pod pod = watch.current(ref.sessionId());
    if (pod != null && PodAgents.hasAgent(pod)) {
      // the agent kept the output (as much as its --retain holds): resume from its first byte
      return attachAgent(ref, pod, sink);
    }
    return followLog(ref, sink, false);
  }

  /**
   * Connects to the session's agent through a port-forward: output from the first byte the agent
   * still keeps, stdin with its window, and the exit code right after the last output.
   */
  private AgentChannel attachAgent(MachineRef ref, Pod pod, OutputSink sink) {
    String id = ref.sessionId();
    PodSession s = sessions.of(id);
    AgentChannel channel =
        new AgentChannel(
            id,
            agents.dialer(ref.name(), PodAgents.portOf(pod)),
            agents.secret(id).getBytes(StandardCharsets.US_ASCII),
            sink,
            io,
            timers,
            () -> runs(id),
            exit -> {
              s.exitSeen.compareAndSet(null, Instant.now());
              s.agentExit.compareAndSet(null, exit);
              watch.signalChange(id);
            },
            AGENT_RECONNECT);
    s.hold(channel);
    try {
      return channel.connect(ATTACH_TIMEOUT);
    } catch (IOException e) {
      s.forget(channel);
      throw new MachineException(Kind.RUNTIME, e.getMessage(), e);
    }
  }

  /** Whether the session's Pod is there and its container not ended, as the kubelet says. */
  private boolean runs(String sessionId) {
    Pod pod = watch.current(sessionId);
    if (pod == null) {
      return false;
    }
    MachineState st = PodObservations.observe(pod).state();
    return st != MachineState.EXITED && st != MachineState.BROKEN;
  }

  /** The agent channel this process holds to a session's Pod, or null. */
  AgentChannel agent(String sessionId) {
    PodSession s = sessions.find(sessionId);
    return s == null ? null : s.agent();
  }

  private IoChannel followLog(MachineRef ref, OutputSink sink, boolean withStdin) {
    LogChannel channel = new LogChannel(this, ref, sink, io);
    try {
      if (withStdin && watch.observe(ref.sessionId()).state() == MachineState.CREATED) {
        channel.stdin(container(ref).redirectingInput().attach());
      }
      channel.follow(container(ref).watchLog(channel.output(StreamKind.STDOUT)));
    } catch (KubernetesClientException e) {
      channel.close();
      throw failure("read the log of pod " + ref.name(), e);
    }
    sessions.of(ref.sessionId()).hold(channel);
    noticeTermination(ref.sessionId(), channel);
    return channel;
  }

  /**
   * Lets a gated Pod's command start: through the attach this process holds, or else through a
   * brief attach of its own, whose end closes the command's stdin.
   */
  void release(MachineRef ref) {
    PodSession s = sessions.find(ref.sessionId());
    AttachChannel held = s == null ? null : s.attach();
    try {
      if (held != null) {
        held.release();
      } else {
        ExecWatch w = container(ref).redirectingInput().attach();
        try {
          SinkOutput.stdin(w, GATE_LINE);
        } finally {
          w.close();
        }
      }
    } catch (IOException | KubernetesClientException e) {
      throw new MachineException(
          Kind.RUNTIME, "cannot release the command of pod " + ref.name() + ": " + e, e);
    }
  }

  /** The session's command was killed: the attach held ends its output now. */
  void killed(String sessionId) {
    PodSession s = sessions.find(sessionId);
    AttachChannel held = s == null ? null : s.attach();
    if (held != null) {
      held.killed();
    }
  }

  @Override
  public int awaitExit(MachineRef ref, Duration timeout) {
    long until = System.nanoTime() + timeout.toNanos();
    while (true) {
      Observation obs = watch.observe(ref.sessionId());
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
      try {
        watch.awaitChange(Math.max(1, Math.min(left / 1_000_000, 500)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MachineException(Kind.RUNTIME, "interrupted", e);
      }
    }
  }

  /** Whether the session's Pod is being deleted or is gone (a stop, a kill, someone's delete). */
  boolean deleted(MachineRef ref) {
    Pod pod = watch.current(ref.sessionId());
    return pod == null || pod.getMetadata().getDeletionTimestamp() != null;
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

  /** An attach saw the session's command end at {@code at}. */
  void commandEnded(String sessionId, Instant at) {
    sessions.of(sessionId).exitSeen.compareAndSet(null, at);
  }

  /** A channel has ended: it is no longer held. */
  void forget(String sessionId, PodChannel channel) {
    PodSession s = sessions.find(sessionId);
    if (s != null) {
      s.forget(channel);
    }
  }

  /** Runs {@code r} once the linger after a container's termination has passed. */
  void afterLinger(Runnable r) {
    try {
      timers.schedule(() -> io.execute(r), linger.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
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
    MachineState s = watch.observe(sessionId).state();
    if (s == MachineState.EXITED || s == MachineState.BROKEN || s == MachineState.ABSENT) {
      channel.containerTerminated();
    }
  }

  private ContainerResource container(MachineRef ref) {
    return watch.pods().withName(ref.name()).inContainer(PodSpecs.CONTAINER);
  }

  static boolean gated(Pod pod) {
    Map<String, String> l = pod.getMetadata().getLabels();
    return l != null && "true".equals(l.get(PodSpecs.GATED_LABEL));
  }

  @Override
  public void close() {
    for (PodSession s : sessions.all()) {
      for (var c : s.channels()) {
        if (c != null) {
          c.close();
        }
      }
    }
    timers.shutdownNow();
    io.shutdownNow();
  }
}
