package io.execbox.machines.kubernetes;

import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.agent.AgentChannel;
import io.execbox.machines.agent.AgentFrames;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What this process knows of one session beyond what the informer's cache holds: the last end its
 * Pod was seen in (kept after the Pod is gone), the channels reading it, and the marks that the
 * backend's own actions leave (a kill, a destroy, a write the informer has not seen yet). Its
 * methods and fields are atomic each; {@link PodSessions} keeps one per session.
 */
final class PodSession {
  /** The first end seen of its Pod, kept after the Pod is gone. */
  final AtomicReference<Observation> ended = new AtomicReference<>();

  /**
   * When an attach saw the command's output end because it exited: more precise than the kubelet's
   * whole seconds, and proof that a later kill came too late to matter. The first one counts.
   */
  final AtomicReference<Instant> exitSeen = new AtomicReference<>();

  /**
   * The exit code its agent reported, after the command's last output: known before the kubelet
   * reports the container's end (which waits for the agent to be acknowledged and exit).
   */
  final AtomicReference<AgentFrames.Exit> agentExit = new AtomicReference<>();

  /** When this process first asked its agent to kill the command. */
  final AtomicReference<Instant> agentKilled = new AtomicReference<>();

  /** When this process killed it, the first time. */
  final AtomicReference<Instant> killed = new AtomicReference<>();

  /** Its objects were removed: its Pod's last events are not remembered. */
  private boolean destroyed;

  /** The reduced state its Pod was last seen in, to announce only real changes; null when none. */
  private MachineState lastState;

  /** Its Pod as this process last created or patched it, while the informer lags behind. */
  private Pod ownWrite;

  private AttachChannel attach;
  private LogChannel follow;
  private AgentChannel agent;

  synchronized boolean destroyed() {
    return destroyed;
  }

  /**
   * Marks its objects removed and forgets what was seen of them; returns the channels that were
   * reading it, for the caller to close.
   */
  synchronized IoChannel[] destroy() {
    destroyed = true;
    ended.set(null);
    exitSeen.set(null);
    killed.set(null);
    agentExit.set(null);
    agentKilled.set(null);
    ownWrite = null;
    IoChannel[] open = {attach, follow, agent};
    attach = null;
    follow = null;
    agent = null;
    return open;
  }

  /** Records the state its Pod is seen in (null: deleted) and returns the one before. */
  synchronized MachineState swapState(MachineState now) {
    MachineState before = lastState;
    lastState = now;
    return before;
  }

  synchronized Pod ownWrite() {
    return ownWrite;
  }

  synchronized void ownWrite(Pod pod) {
    ownWrite = pod;
  }

  synchronized AttachChannel attach() {
    return attach;
  }

  synchronized LogChannel follow() {
    return follow;
  }

  synchronized AgentChannel agent() {
    return agent;
  }

  synchronized void hold(AgentChannel channel) {
    agent = channel;
  }

  synchronized void hold(AttachChannel channel) {
    attach = channel;
  }

  synchronized void hold(LogChannel channel) {
    follow = channel;
  }

  /** Drops {@code channel} if it is still the one held. */
  synchronized void forget(IoChannel channel) {
    if (attach == channel) {
      attach = null;
    }
    if (follow == channel) {
      follow = null;
    }
    if (agent == channel) {
      agent = null;
    }
  }

  /** The channels reading its Pod now. */
  synchronized IoChannel[] channels() {
    return new IoChannel[] {attach, follow, agent};
  }

  /**
   * Whether forgetting it loses nothing that matters now: no channel reads its Pod, no Pod of it is
   * seen, no write of this process is pending. What remains (an end, a kill, a destroy) is only
   * kept for a while.
   */
  synchronized boolean idle() {
    return attach == null
        && follow == null
        && agent == null
        && lastState == null
        && ownWrite == null;
  }
}
