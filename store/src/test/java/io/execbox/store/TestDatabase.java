package io.execbox.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL per test JVM, started on first use and shared by every test class; each
 * caller gets a fresh database in it, so tests do not see each other's rows.
 */
public final class TestDatabase {
  private static EmbeddedDatabase server;
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private TestDatabase() {}

  private static synchronized EmbeddedDatabase server() {
    if (server == null) {
      try {
        Path dir = Files.createTempDirectory("execbox-test-pg");
        server = EmbeddedDatabase.start(dir);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    }
    return server;
  }

  /** A new, empty database (no schema). */
  public static DatabaseSettings freshDatabase() {
    DatabaseSettings admin = server().settings();
    String name = "t" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c =
        DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password())) {
      c.createStatement().execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return new DatabaseSettings(admin.host(), admin.port(), name, admin.user(), admin.password());
  }

  /** A new database with the schema applied. */
  public static DatabaseSettings migratedDatabase() {
    DatabaseSettings db = freshDatabase();
    Migrations.migrate(db);
    return db;
  }
}
