package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** One simulated machine: its state, its events (newest first when shown), its container. */
final class SimMachine {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  final String id;
  final String name;
  final String region;
  final String privateIp;
  final JsonNode config;
  final String instanceId;
  final Instant createdAt = Instant.now();

  // guarded by this
  private String state = "created";
  private Instant updatedAt = createdAt;
  private final List<ObjectNode> events = new ArrayList<>();
  String containerId;
  boolean requestedStop;

  SimMachine(String name, String region, String privateIp, JsonNode config) {
    this.id = hex(14);
    this.name = name;
    this.region = region;
    this.privateIp = privateIp;
    this.config = config;
    this.instanceId = ulid();
  }

  synchronized String state() {
    return state;
  }

  /** Moves to {@code next} and wakes every wait. */
  synchronized void state(String next) {
    state = next;
    updatedAt = Instant.now();
    notifyAll();
  }

  /** Moves to {@code next} if the machine is in one of {@code from}; true if it moved. */
  synchronized boolean transition(Set<String> from, String next) {
    if (!from.contains(state)) {
      return false;
    }
    state(next);
    return true;
  }

  synchronized void event(
      ObjectMapper mapper, String type, String status, String source, ObjectNode request) {
    ObjectNode e = mapper.createObjectNode();
    e.put("id", ulid()).put("type", type).put("status", status).put("source", source);
    e.put("timestamp", System.currentTimeMillis());
    if (request != null) {
      e.set("request", request);
    }
    events.add(e);
  }

  /** Waits until the state is one of {@code states}; false after {@code millis}. */
  synchronized boolean await(Set<String> states, long millis) throws InterruptedException {
    long until = System.currentTimeMillis() + millis;
    while (!states.contains(state)) {
      long left = until - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  synchronized ArrayNode events(ObjectMapper mapper, int limit) {
    ArrayNode a = mapper.createArrayNode();
    for (int i = events.size() - 1; i >= 0 && a.size() < limit; i--) {
      a.add(events.get(i));
    }
    return a;
  }

  synchronized ObjectNode json(ObjectMapper mapper, boolean summary) {
    ObjectNode m = mapper.createObjectNode();
    m.put("id", id).put("name", name).put("state", state).put("region", region);
    m.put("instance_id", instanceId).put("version", instanceId).put("private_ip", privateIp);
    if (!summary) {
      m.set("config", config);
    }
    String image = config.path("image").asText();
    ObjectNode ref = m.putObject("image_ref");
    int colon = image.lastIndexOf(':');
    int slash = image.indexOf('/');
    ref.put("registry", slash > 0 ? image.substring(0, slash) : "docker.io");
    ref.put("repository", image.substring(slash + 1, colon > slash ? colon : image.length()));
    ref.put("tag", colon > slash ? image.substring(colon + 1) : "latest");
    m.put("created_at", createdAt.toString()).put("updated_at", updatedAt.toString());
    m.put("host_status", "ok");
    m.set("events", events(mapper, 50));
    return m;
  }

  static String hex(int n) {
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append(Character.forDigit(RANDOM.nextInt(16), 16));
    }
    return b.toString();
  }

  static String ulid() {
    StringBuilder b = new StringBuilder(26);
    for (int i = 0; i < 26; i++) {
      b.append(ULID.charAt(RANDOM.nextInt(32)));
    }
    return b.toString();
  }
}
