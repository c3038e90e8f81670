package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Out of the box actuator (metrics, health details) answers on a management port of its own, on
 * loopback, and never on the API's port (issue 14, finding 7).
 */
class ManagementPortTest {
  @Test
  void theJarsDefaultsPutActuatorOnItsOwnLoopbackPort() throws IOException {
    Properties p = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/application.properties")) {
      p.load(in);
    }
    assertThat(p.getProperty("management.server.port")).isEqualTo("9090");
    assertThat(p.getProperty("management.server.port")).isNotEqualTo(p.getProperty("server.port"));
    assertThat(p.getProperty("management.server.address")).isEqualTo("127.0.0.1");
  }
}
