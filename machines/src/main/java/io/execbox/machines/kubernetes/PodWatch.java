package io.execbox.machines.kubernetes;

import static io.execbox.machines.kubernetes.ApiFailures.failure;

import io.execbox.crds.Labels;
import io.execbox.machines.ChangeListeners;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.agent.AgentFrames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The session Pods as one informer sees them, so that observing a session costs no request: what
 * each session's Pod is now (or, when it is gone, how it ended), the change signal that wakes the
 * control loop and whoever waits for an exit, and the news of a container's termination for the
 * channels reading it.
 */
final class PodWatch implements AutoCloseable {
  private final KubernetesClient client;
  private final PodOptions options;
  private final PodSessions sessions;
  private final ChangeListeners listeners = new ChangeListeners();
  private final Object changed = new Object();
  private volatile SharedIndexInformer<Pod> informer;

  PodWatch(KubernetesClient client, PodOptions options, PodSessions sessions) {
    this.client = client;
    this.options = options;
    this.sessions = sessions;
  }

  /** Starts watching the session Pods; blocks until the first list has arrived. */
  synchronized void start() {
    if (informer == null) {
      try {
        informer = pods().withLabels(selector()).inform(new Events(), 60_000);
      } catch (KubernetesClientException e) {
        throw failure("watch the session pods", e);
      }
    }
  }

  NonNamespaceOperation<Pod, PodList, PodResource> pods() {
    return client.pods().inNamespace(options.namespace());
  }

  /** Calls {@code listener} with a session's id when its Pod changed in a way that matters. */
  void onChange(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** The session's Pod: from the informer's cache, else (not seen yet) from the apiserver. */
  Pod current(String sessionId) {
    String name = PodSpecs.name(sessionId);
    SharedIndexInformer<Pod> i = informer;
    if (i != null) {
      Pod cached = i.getStore().getByKey(options.namespace() + "/" + name);
      PodSession s = sessions.find(sessionId);
      Pod mine = s == null ? null : s.ownWrite();
      if (mine != null && (cached == null || version(cached) < version(mine))) {
        return mine; // the informer has not caught up with our own create or patch yet
      }
      if (mine != null) {
        s.ownWrite(null);
      }
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
  void wrote(Pod pod) {
    if (pod != null && pod.getMetadata() != null && pod.getMetadata().getLabels() != null) {
      String sessionId = pod.getMetadata().getLabels().get(Labels.SESSION);
      if (sessionId != null) {
        sessions.of(sessionId).ownWrite(pod);
      }
    }
  }

  /**
   * The session's Pod as an {@link Observation}; once the Pod is gone, the end it was last seen in,
   * or the kill this process did.
   */
  Observation observe(String sessionId) {
    Pod pod = current(sessionId);
    PodSession s = sessions.find(sessionId);
    Instant killed = s == null ? null : s.killed.get();
    if (pod == null) {
      Observation last = s == null ? null : s.ended.get();
      if (last != null) {
        return last;
      }
      return killed == null ? Observation.absent() : killedObservation(null, killed);
    }
    Observation obs = exitSeen(PodObservations.observe(pod), s == null ? null : s.exitSeen.get());
    AgentFrames.Exit agentExit = s == null ? null : s.agentExit.get();
    if (agentExit != null
        && obs.state() != MachineState.EXITED
        && obs.state() != MachineState.BROKEN) {
      // the agent said so after the last output; the kubelet says it once the agent has exited
      Instant at = s.exitSeen.get();
      return new Observation(
          MachineState.EXITED,
          obs.ref(),
          agentExit.code(),
          agentExit.oomKilled(),
          agentExit.oomKilled() ? "OOMKilled" : null,
          obs.startedAt() == null ? at : obs.startedAt(),
          at,
          obs.ports());
    }
    if (killed != null
        && obs.state() != MachineState.EXITED
        && obs.state() != MachineState.BROKEN) {
      return killedObservation(obs, killed);
    }
    return obs;
  }

  /** An exit's time as the attach saw it, when the kubelet's has whole seconds only. */
  private static Observation exitSeen(Observation obs, Instant seen) {
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

  /** Every session Pod: from the informer's cache once it runs. */
  List<Pod> list() {
    SharedIndexInformer<Pod> i = informer;
    try {
      return i != null ? i.getStore().list() : pods().withLabels(selector()).list().getItems();
    } catch (KubernetesClientException e) {
      throw failure("list session pods", e);
    }
  }

  /** Waits up to {@code millis} for any session Pod to change. */
  void awaitChange(long millis) throws InterruptedException {
    synchronized (changed) {
      changed.wait(millis);
    }
  }

  /** Wakes whoever waits for a change, and tells the listeners that the session's Pod changed. */
  void signalChange(String sessionId) {
    wakeWaiters();
    listeners.announce(sessionId);
  }

  private void wakeWaiters() {
    synchronized (changed) {
      changed.notifyAll();
    }
  }

  private Map<String, String> selector() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put(Labels.MANAGED, "true");
    if (options.installation() != null) {
      s.put(Labels.INSTALLATION, options.installation());
    }
    return s;
  }

  private static long version(Pod pod) {
    try {
      return Long.parseLong(pod.getMetadata().getResourceVersion());
    } catch (RuntimeException e) {
      return -1;
    }
  }

  @Override
  public void close() {
    SharedIndexInformer<Pod> i = informer;
    if (i != null) {
      i.close();
    }
  }

  /** Keeps exit codes past the Pod's removal and wakes whoever waits for a change. */
  private final class Events implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod pod) {
      seen(pod, false);
    }

    @Override
    public void onUpdate(Pod before, Pod pod) {
      seen(pod, false);
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
      seen(pod, true);
    }

    private void seen(Pod pod, boolean deleted) {
      String sessionId = pod.getMetadata().getLabels().get(Labels.SESSION);
      if (sessionId == null) {
        return;
      }
      PodSession s = sessions.of(sessionId);
      if (deleted) {
        s.swapState(null);
      }
      if (s.destroyed()) {
        return;
      }
      Observation obs = PodObservations.observe(pod);
      boolean ended = obs.state() == MachineState.EXITED || obs.state() == MachineState.BROKEN;
      if (ended) {
        s.ended.compareAndSet(null, obs);
      }
      if (deleted || ended) {
        for (var c : s.channels()) {
          if (c instanceof PodChannel pc) {
            pc.containerTerminated();
          }
        }
      }
      MachineState before = deleted ? null : s.swapState(obs.state());
      if (!deleted
          && (before == obs.state() || (before == null && obs.state() == MachineState.STARTING))) {
        // nothing the lifecycle acts on has changed (the echo of this process's own create, say)
        wakeWaiters();
        return;
      }
      signalChange(sessionId);
    }
  }
}
