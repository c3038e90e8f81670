package io.execbox.machines.kubernetes;

import io.execbox.crds.ExitCodes;
import io.execbox.crds.Labels;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the kubelet reports of a session's Pod, reduced to an {@link Observation}: a pure function,
 * unit-tested from Pod fixtures.
 */
final class PodObservations {
  /** Exit code of a command killed by SIGKILL. */
  static final int KILLED = ExitCodes.KILLED;

  /** Waiting reasons after which the container will never start by itself. */
  static final Set<String> CANNOT_START =
      Set.of(
          "ErrImagePull",
          "ImagePullBackOff",
          "ErrImageNeverPull",
          "InvalidImageName",
          "CreateContainerConfigError",
          "CreateContainerError",
          "RunContainerError");

  /** Terminated reasons of a container whose command never ran. */
  static final Set<String> NEVER_RAN = Set.of("StartError", "ContainerCannotRun");

  private PodObservations() {}

  static MachineRef ref(Pod pod) {
    return new MachineRef(
        pod.getMetadata().getLabels().get(Labels.SESSION),
        pod.getMetadata().getUid(),
        pod.getMetadata().getName());
  }

  static Observation observe(Pod pod) {
    MachineRef ref = ref(pod);
    PodStatus status = pod.getStatus();
    List<PublishedPort> ports = ports(pod);
    if (status == null) {
      return of(MachineState.STARTING, ref, null, null, ports);
    }
    ContainerStatus cs = container(status);
    ContainerStateTerminated terminated =
        cs == null || cs.getState() == null ? null : cs.getState().getTerminated();
    if ("DeadlineExceeded".equals(status.getReason())) {
      // in 1.20 the container may still read running: trust the Pod's phase and reason
      return new Observation(
          MachineState.EXITED,
          ref,
          KILLED,
          false,
          "DeadlineExceeded",
          startedAt(cs),
          terminated == null ? null : time(terminated.getFinishedAt()),
          ports);
    }
    if (terminated != null) {
      String message = terminated.getMessage();
      if (message != null && message.startsWith(PodSpecs.GATE_FAILURE)) {
        return of(
            MachineState.BROKEN,
            ref,
            message.substring(PodSpecs.GATE_FAILURE.length()).strip(),
            null,
            ports);
      }
      if (terminated.getReason() != null && NEVER_RAN.contains(terminated.getReason())) {
        return of(MachineState.BROKEN, ref, reason(terminated.getReason(), message), null, ports);
      }
      // the kubelet's times have whole seconds: never report an end before the recorded start
      Instant released = commandStart(pod, time(terminated.getStartedAt()));
      Instant started = released != null ? released : time(terminated.getStartedAt());
      Instant finished = time(terminated.getFinishedAt());
      if (finished != null && started != null && finished.isBefore(started)) {
        finished = started;
      }
      return new Observation(
          MachineState.EXITED,
          ref,
          terminated.getExitCode(),
          "OOMKilled".equals(terminated.getReason()),
          terminated.getReason(),
          started,
          finished,
          ports);
    }
    if ("Failed".equals(status.getPhase()) || "Succeeded".equals(status.getPhase())) {
      // the Pod ended without its container's word (evicted, node lost): treat as killed
      return new Observation(
          MachineState.EXITED,
          ref,
          KILLED,
          false,
          reason(status.getReason(), status.getMessage()),
          startedAt(cs),
          null,
          ports);
    }
    ContainerStateWaiting waiting =
        cs == null || cs.getState() == null ? null : cs.getState().getWaiting();
    if (waiting != null
        && waiting.getReason() != null
        && CANNOT_START.contains(waiting.getReason())) {
      return of(
          MachineState.BROKEN, ref, reason(waiting.getReason(), waiting.getMessage()), null, ports);
    }
    for (PodCondition c :
        status.getConditions() == null ? List.<PodCondition>of() : status.getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        return of(MachineState.BROKEN, ref, reason("Unschedulable", c.getMessage()), null, ports);
      }
    }
    if (cs != null && cs.getState() != null && cs.getState().getRunning() != null) {
      String started = annotation(pod, PodSpecs.STARTED_ANNOTATION);
      if (started == null) {
        // running, but its command not released yet (gated) or not yet recorded as started
        return of(MachineState.CREATED, ref, null, null, ports);
      }
      Instant at = time(cs.getState().getRunning().getStartedAt());
      Instant released = commandStart(pod, at);
      return of(MachineState.RUNNING, ref, null, released != null ? released : at, ports);
    }
    return of(MachineState.STARTING, ref, null, null, ports);
  }

  /**
   * When the command started: behind the gate, when it was released; behind the agent, with the
   * container (the agent starts it at once and keeps its output), at the kubelet's whole second.
   */
  private static Instant commandStart(Pod pod, Instant containerStarted) {
    if (PodAgents.hasAgent(pod) && containerStarted != null) {
      return containerStarted;
    }
    return time(annotation(pod, PodSpecs.STARTED_ANNOTATION));
  }

  private static Observation of(
      MachineState state, MachineRef ref, String reason, Instant startedAt, List<PublishedPort> p) {
    return new Observation(state, ref, null, false, reason, startedAt, null, p);
  }

  private static ContainerStatus container(PodStatus status) {
    if (status.getContainerStatuses() == null) {
      return null;
    }
    for (ContainerStatus cs : status.getContainerStatuses()) {
      if (PodSpecs.CONTAINER.equals(cs.getName())) {
        return cs;
      }
    }
    return null;
  }

  private static Instant startedAt(ContainerStatus cs) {
    if (cs == null || cs.getState() == null) {
      return null;
    }
    if (cs.getState().getRunning() != null) {
      return time(cs.getState().getRunning().getStartedAt());
    }
    if (cs.getState().getTerminated() != null) {
      return time(cs.getState().getTerminated().getStartedAt());
    }
    return null;
  }

  /** The Service's ports: the Pod's ports are reachable at {@code <name>.<namespace>.svc}. */
  private static List<PublishedPort> ports(Pod pod) {
    List<PublishedPort> out = new ArrayList<>();
    if (pod.getSpec() == null || !"true".equals(annotation(pod, PodSpecs.EXPOSED_ANNOTATION))) {
      return out;
    }
    String host = pod.getMetadata().getName() + "." + pod.getMetadata().getNamespace() + ".svc";
    for (var c : pod.getSpec().getContainers()) {
      if (c.getPorts() != null) {
        for (var p : c.getPorts()) {
          out.add(
              new PublishedPort(
                  p.getContainerPort(),
                  p.getProtocol() == null
                      ? "tcp"
                      : p.getProtocol().toLowerCase(java.util.Locale.ROOT),
                  host,
                  p.getContainerPort()));
        }
      }
    }
    return out;
  }

  private static String annotation(Pod pod, String key) {
    var a = pod.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }

  private static String reason(String reason, String message) {
    if (message == null || message.isBlank()) {
      return reason;
    }
    return reason == null ? message : reason + ": " + message;
  }

  static Instant time(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
