package io.execbox.machines.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.crds.Labels;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineState;
import io.execbox.machines.MachineSummary;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Pure functions from the Engine API's container JSON to what the lifecycle needs. */
final class Inspections {
  private Inspections() {}

  /** Reduces a container status word ({@code State.Status}, or {@code State} of a list item). */
  static MachineState state(String status) {
    return switch (status == null ? "" : status.toLowerCase(Locale.ROOT)) {
      case "created", "configured", "initialized" -> MachineState.CREATED;
      case "running", "paused", "restarting" -> MachineState.RUNNING;
      case "exited", "stopped", "removing" -> MachineState.EXITED;
      default -> MachineState.BROKEN;
    };
  }

  /** The observation of {@code GET /containers/{id}/json}. */
  static Observation observe(String sessionId, JsonNode c, String defaultHost) {
    JsonNode s = c.path("State");
    String status = s.path("Status").asText("");
    String error = s.path("Error").asText("");
    MachineState state = state(status);
    boolean ended = state == MachineState.EXITED || status.equalsIgnoreCase("dead");
    boolean oom = s.path("OOMKilled").asBoolean(false);
    String reason = null;
    if (!error.isBlank()) {
      state = MachineState.BROKEN;
      reason = error.strip();
    } else if (state == MachineState.BROKEN) {
      reason = "container is " + (status.isEmpty() ? "in an unknown state" : status);
    } else if (state == MachineState.CREATED && time(s.path("StartedAt").asText(null)) != null) {
      // Podman's compat attach puts an exited container back to "created" and forgets its exit.
      state = MachineState.BROKEN;
      reason = "the runtime re-initialized the container after it ran; its exit code is lost";
    } else if (ended && oom) {
      reason = "OOMKilled";
    }
    MachineRef ref = new MachineRef(sessionId, c.path("Id").asText(), name(c));
    return new Observation(
        state,
        ref,
        ended ? Integer.valueOf(s.path("ExitCode").asInt()) : null,
        oom,
        reason,
        time(s.path("StartedAt").asText(null)),
        ended ? time(s.path("FinishedAt").asText(null)) : null,
        ports(c.path("NetworkSettings").path("Ports"), defaultHost));
  }

  /** One item of {@code GET /containers/json}. */
  static MachineSummary summary(JsonNode item) {
    JsonNode labels = item.path("Labels");
    return new MachineSummary(
        item.path("Id").asText(),
        labels.path(Labels.SESSION).asText(null),
        labels.path(Labels.OWNER).asText(null),
        state(item.path("State").asText("")));
  }

  static String name(JsonNode c) {
    String name = c.path("Name").asText("");
    return name.startsWith("/") ? name.substring(1) : name;
  }

  /** Docker's and Podman's "never" is the zero time, year 1. */
  static Instant time(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Instant t;
    try {
      t = OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
    return t.isBefore(Instant.EPOCH) ? null : t;
  }

  static List<PublishedPort> ports(JsonNode ports, String defaultHost) {
    List<PublishedPort> out = new ArrayList<>();
    if (!ports.isObject()) {
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> it = ports.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String[] key = e.getKey().split("/", 2);
      int container;
      try {
        container = Integer.parseInt(key[0]);
      } catch (NumberFormatException ex) {
        continue;
      }
      String proto = key.length > 1 ? key[1] : "tcp";
      // Docker lists an IPv4 and an IPv6 binding of one port; the first one is the one to use.
      for (JsonNode b : e.getValue()) {
        String hostPort = b.path("HostPort").asText("");
        if (hostPort.isEmpty()) {
          continue;
        }
        String ip = b.path("HostIp").asText("");
        String host = ip.isEmpty() || ip.equals("0.0.0.0") || ip.equals("::") ? defaultHost : ip;
        try {
          out.add(new PublishedPort(container, proto, host, Integer.parseInt(hostPort)));
          break;
        } catch (NumberFormatException ignored) {
          // A binding without a usable port is not published.
        }
      }
    }
    out.sort(
        (a, b) ->
            a.containerPort() != b.containerPort()
                ? Integer.compare(a.containerPort(), b.containerPort())
                : a.protocol().compareTo(b.protocol()));
    return out;
  }
}
