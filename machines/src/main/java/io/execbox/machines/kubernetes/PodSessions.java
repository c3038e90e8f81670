package io.execbox.machines.kubernetes;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link PodSession} of each session this process has dealt with. Bounded: beyond {@link
 * #LIMIT} sessions, the oldest idle ones are forgotten (their remembered ends first of all: a
 * lifecycle records an end within seconds, not after ten thousand other sessions).
 */
final class PodSessions {
  static final int LIMIT = 10_000;

  private final Map<String, PodSession> sessions = new LinkedHashMap<>();

  /** The session's state, created when there is none. */
  synchronized PodSession of(String sessionId) {
    PodSession s = sessions.get(sessionId);
    if (s == null) {
      s = new PodSession();
      sessions.put(sessionId, s);
      trim();
    }
    return s;
  }

  /** The session's state, or null when this process knows nothing of it. */
  synchronized PodSession find(String sessionId) {
    return sessions.get(sessionId);
  }

  synchronized PodSession[] all() {
    return sessions.values().toArray(new PodSession[0]);
  }

  private void trim() {
    Iterator<PodSession> it = sessions.values().iterator();
    while (sessions.size() > LIMIT && it.hasNext()) {
      if (it.next().idle()) {
        it.remove();
      }
    }
  }
}
