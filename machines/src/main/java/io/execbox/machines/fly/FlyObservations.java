package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Fly machine reduced to what the lifecycle needs. The exit code is the agent's when it reported
 * one (it comes after the command's last output); the machine's latest {@code exit} event is the
 * cross-check, and the only source when the agent could not report (its machine killed through the
 * API).
 */
final class FlyObservations {
  private static final Logger log = LoggerFactory.getLogger(FlyObservations.class);

  private FlyObservations() {}

  static MachineRef ref(String sessionId, JsonNode m) {
    return new MachineRef(sessionId, m.path("id").asText(), m.path("name").asText());
  }

  static Observation observe(FlySession s, JsonNode m) {
    Integer agentCode = s.agentExit.get();
    if (m == null) {
      return Observation.absent();
    }
    MachineRef ref = ref(s.sessionId, m);
    String state = m.path("state").asText("");
    JsonNode exit = latest(m, "exit");
    Instant started = at(latest(m, "start"));
    switch (state) {
      case "created", "creating", "starting":
        return new Observation(
            MachineState.STARTING, ref, null, false, null, null, null, List.of());
      case "failed", "launch_failed":
        return new Observation(
            MachineState.BROKEN,
            ref,
            null,
            false,
            "the fly machine failed: " + describe(m),
            started,
            null,
            List.of());
      case "destroying", "destroyed":
        if (agentCode == null) {
          return Observation.absent();
        }
        return exited(ref, agentCode, s.agentOomKilled.get(), started, s.agentExitAt.get());
      case "stopped", "suspended":
        Integer eventCode = exitCode(exit);
        boolean oom = exit != null && exitEvent(exit).path("oom_killed").asBoolean(false);
        if (agentCode != null && eventCode != null && !agentCode.equals(eventCode)) {
          if (s.firstMismatch()) {
            log.warn(
                "session {}: the agent reported exit {}, the machine's exit event {}",
                s.sessionId,
                agentCode,
                eventCode);
          }
        }
        Integer code = agentCode != null ? agentCode : eventCode;
        if (code == null) {
          return new Observation(
              MachineState.BROKEN,
              ref,
              null,
              false,
              "the fly machine stopped without an exit code",
              started,
              at(exit),
              List.of());
        }
        return exited(ref, code, oom, started, at(exit));
      default:
        // started, stopping, restarting, replacing, updating: the command runs, unless the agent
        // has reported its end already
        if (agentCode != null) {
          return exited(ref, agentCode, false, started, s.agentExitAt.get());
        }
        return new Observation(
            MachineState.RUNNING, ref, null, false, null, started, null, List.of());
    }
  }

  private static Observation exited(
      MachineRef ref, int code, boolean oom, Instant started, Instant finished) {
    return new Observation(
        MachineState.EXITED,
        ref,
        code,
        oom,
        oom ? "OOMKilled" : null,
        started,
        finished,
        List.of());
  }

  /** The newest event of a type (Fly lists events newest first). */
  static JsonNode latest(JsonNode m, String type) {
    JsonNode best = null;
    for (JsonNode e : m.path("events")) {
      if (type.equals(e.path("type").asText())
          && (best == null || e.path("timestamp").asLong() > best.path("timestamp").asLong())) {
        best = e;
      }
    }
    return best;
  }

  private static JsonNode exitEvent(JsonNode event) {
    JsonNode r = event.path("request");
    JsonNode monitor = r.path("MonitorEvent").path("exit_event");
    return monitor.isObject() ? monitor : r.path("exit_event");
  }

  /** The exit code of an exit event: its code, or 128 + the signal that ended it. */
  static Integer exitCode(JsonNode event) {
    if (event == null) {
      return null;
    }
    JsonNode e = exitEvent(event);
    if (e.path("exit_code").isInt()) {
      int code = e.path("exit_code").asInt();
      int signal = e.path("signal").asInt(-1);
      return code < 0 && signal > 0 ? 128 + signal : code;
    }
    return null;
  }

  private static Instant at(JsonNode event) {
    return event == null || !event.path("timestamp").isNumber()
        ? null
        : Instant.ofEpochMilli(event.path("timestamp").asLong());
  }

  private static String describe(JsonNode m) {
    JsonNode last = m.path("events").path(0);
    return last.isMissingNode()
        ? m.path("state").asText()
        : last.path("type").asText() + " " + last.path("status").asText();
  }
}
