package io.execbox.operator.step;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.crds.SessionPhase;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import io.execbox.store.SessionPatch;
import io.execbox.store.SessionRow;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The row changes that the step's actions write, built in one place. */
final class StepPatches {
  private final ObjectMapper json;
  private final Clock clock;
  private final Duration poll;
  private final Timer startLatency;

  StepPatches(ObjectMapper json, Clock clock, Duration poll, MeterRegistry meters) {
    this.json = json;
    this.clock = clock;
    this.poll = poll;
    this.startLatency =
        Timer.builder("execbox.session.start")
            .description("From create to the command running")
            .publishPercentileHistogram()
            .register(meters);
  }

  /** The session cannot run: failed with the reason, looked at again now to clean up. */
  static SessionPatch failed(String reason, Instant now) {
    return SessionPatch.create()
        .status(SessionPhase.FAILED.wire())
        .reason(reason)
        .endedAt(now)
        .reconcileAt(now);
  }

  /** Look again at {@code at}, or at the deadline if sooner. */
  static SessionPatch lookAgain(SessionRow row, Instant at) {
    return SessionPatch.create().reconcileAt(at.isBefore(row.deadlineAt()) ? at : row.deadlineAt());
  }

  /** The command runs (since {@code startedAt} unless the backend says when): record it. */
  SessionPatch running(SessionRow row, Observation obs, Instant startedAt) {
    Instant now = clock.instant();
    SessionPatch p = lookAgain(row, now.plus(poll));
    if (SessionPhase.PENDING.wire().equals(row.status())) {
      p.status(SessionPhase.RUNNING.wire());
    }
    if (row.startedAt() == null) {
      Instant at = obs.startedAt() != null ? obs.startedAt() : startedAt;
      p.startedAt(at);
      startLatency.record(Duration.between(row.createdAt(), at));
    }
    if (!obs.ports().isEmpty()) {
      p.networkJson(networkJson(obs.ports()));
    }
    return p;
  }

  private String networkJson(List<PublishedPort> ports) {
    Map<String, Object> byPort = new LinkedHashMap<>();
    String host = null;
    for (PublishedPort p : ports) {
      host = p.host();
      byPort.put(
          String.valueOf(p.containerPort()),
          Map.of("hostPort", p.hostPort(), "url", "http://" + p.host() + ":" + p.hostPort()));
    }
    Map<String, Object> network = new LinkedHashMap<>();
    network.put("mode", "exposed");
    network.put("host", host);
    network.put("ports", byPort);
    try {
      return json.writeValueAsString(network);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
