package io.execbox.server;

import org.slf4j.LoggerFactory;
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
    // a thread that dies of an exception is logged like everything else (JSON when asked), not
    // printed raw on stderr by the JVM
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) ->
            LoggerFactory.getLogger(ExecboxServer.class)
                .error("thread {} died of an uncaught exception", thread.getName(), e));
    try {
      SpringApplication.run(ExecboxServer.class, args);
    } catch (RuntimeException e) {
      System.err.println(StartupFailures.line(e));
      System.exit(1);
    }
  }
}
