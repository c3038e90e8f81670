package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class during which any code blocked a thread that must not block (see {@link
 * EventLoopGuard}). Registered for every test class by JUnit's extension auto-detection.
 */
public final class NoBlockingOnEventLoops implements BeforeAllCallback, AfterAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    EventLoopGuard.VIOLATIONS.clear();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> seen = new ArrayList<>(EventLoopGuard.VIOLATIONS);
    EventLoopGuard.VIOLATIONS.clear();
    assertThat(seen).as("blocking calls on event-loop threads").isEmpty();
  }
}
