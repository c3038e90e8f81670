package io.execbox.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The one runnable. Roles (api, operator), mode and backend come from configuration; on a laptop
 * with no configuration it runs both roles on an embedded PostgreSQL and the local Docker or
 * Podman.
 */
@SpringBootApplication
public class ExecboxServer {
  public static void main(String[] args) {
    if ("json".equalsIgnoreCase(System.getenv("EXECBOX_LOG_FORMAT"))) {
      System.setProperty("logging.structured.format.console", "ecs");
    }
    try {
      SpringApplication.run(ExecboxServer.class, args);
    } catch (RuntimeException e) {
      System.err.println("execbox: cannot start: " + StartupFailures.explain(e));
      System.exit(1);
    }
  }
}
