package io.execbox.machines;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of a backend's {@link MachineBackend#onChange}, each told apart from the others.
 */
public final class ChangeListeners {
  private static final Logger log = LoggerFactory.getLogger(ChangeListeners.class);

  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  public void add(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** Tells every listener that the session's machine changed; one that fails does not stop it. */
  public void announce(String sessionId) {
    for (Consumer<String> l : listeners) {
      try {
        l.accept(sessionId);
      } catch (RuntimeException e) {
        log.debug("change listener failed: {}", e.toString());
      }
    }
  }
}
