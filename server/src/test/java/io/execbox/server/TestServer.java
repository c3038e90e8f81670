package io.execbox.server;

import io.execbox.store.DatabaseSettings;
import io.execbox.store.TestDatabase;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real execbox server for integration tests: the Spring app on a random loopback port, a real
 * PostgreSQL (one per test JVM, a database per server) and the real container runtime of
 * DOCKER_HOST. One shared instance serves most test classes; restart tests make their own.
 */
public final class TestServer implements AutoCloseable {
  public static final String ADMIN_TOKEN = "admin-token-for-tests-only-0123456789";
  public static final String IMAGE = "localhost/execbox-test/busybox:latest";

  private static TestServer shared;

  private final DatabaseSettings db;
  private final Map<String, Object> overrides;
  private ConfigurableApplicationContext context;

  private TestServer(DatabaseSettings db, Map<String, Object> overrides) {
    this.db = db;
    this.overrides = overrides;
  }

  /** The server most tests share, started on first use. */
  public static synchronized TestServer shared() {
    if (shared == null) {
      shared = start(Map.of());
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
    }
    return shared;
  }

  /** A server of its own, on a fresh database. */
  public static TestServer start(Map<String, Object> overrides) {
    TestServer s = new TestServer(TestDatabase.freshDatabase(), overrides);
    s.startContext();
    return s;
  }

  /** Stops the server and starts it again on the same database (a restart). */
  public void restart() {
    context.close();
    startContext();
  }

  private void startContext() {
    Map<String, Object> props = new HashMap<>();
    props.put("server.port", 0);
    props.put(
        "execbox.database-url",
        "postgresql://" + db.user() + "@" + db.host() + ":" + db.port() + "/" + db.database());
    props.put("execbox.admin-token", ADMIN_TOKEN);
    props.put("execbox.stop-grace", "2s");
    props.put("execbox.retention", "12MB");
    props.put("execbox.sweep-interval", "5s");
    props.putAll(overrides);
    // command-line arguments outrank application.properties
    String[] args =
        props.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    context = new SpringApplicationBuilder(ExecboxServer.class).run(args);
  }

  public String baseUrl() {
    int port = ((WebServerApplicationContext) context).getWebServer().getPort();
    return "http://127.0.0.1:" + port;
  }

  public ConfigurableApplicationContext context() {
    return context;
  }

  public <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  @Override
  public void close() {
    if (context != null) {
      context.close();
    }
  }
}
