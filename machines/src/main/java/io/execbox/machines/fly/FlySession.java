package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.machines.agent.AgentChannel;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** What this process knows of one session's machine. */
final class FlySession {
  final String sessionId;
  final AtomicReference<Integer> agentExit = new AtomicReference<>();
  final AtomicReference<Instant> agentExitAt = new AtomicReference<>();
  final AtomicBoolean agentOomKilled = new AtomicBoolean();
  final AtomicReference<Instant> agentKilled = new AtomicReference<>();

  // guarded by this
  private JsonNode machine;
  private long fetchedAt;
  private AgentChannel agent;
  private boolean destroyed;
  private boolean mismatchLogged;

  FlySession(String sessionId) {
    this.sessionId = sessionId;
  }

  synchronized JsonNode machine() {
    return machine;
  }

  synchronized String machineId() {
    return machine == null ? null : machine.path("id").asText(null);
  }

  /** The machine as the API last answered, and when. */
  synchronized void machine(JsonNode m) {
    machine = m;
    fetchedAt = System.nanoTime();
    destroyed = false;
  }

  synchronized boolean fresh(long maxAgeNanos) {
    return machine != null && System.nanoTime() - fetchedAt < maxAgeNanos;
  }

  synchronized AgentChannel agent() {
    return agent;
  }

  synchronized void agent(AgentChannel a) {
    agent = a;
  }

  synchronized boolean destroyed() {
    return destroyed;
  }

  /** Marks the machine destroyed; returns the agent channel to close. */
  synchronized AgentChannel destroy() {
    destroyed = true;
    AgentChannel a = agent;
    agent = null;
    return a;
  }

  /** True the first time only: a mismatch of exit codes is logged once. */
  synchronized boolean firstMismatch() {
    boolean first = !mismatchLogged;
    mismatchLogged = true;
    return first;
  }
}
