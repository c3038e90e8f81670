package io.execbox.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL started from jars, for the laptop run and the tests. Its data directory is
 * kept, so sessions survive a restart of the server.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts PostgreSQL on a free loopback port with its data under {@code dataDir}; it stops when
   * the JVM exits.
   */
  public static EmbeddedDatabase start(Path dataDir) {
    return start(dataDir, true);
  }

  /**
   * Starts PostgreSQL on a free loopback port with its data under {@code dataDir}.
   *
   * @param stopsWithTheJvm whether a JVM shutdown hook of its own stops it. A server that closes it
   *     itself must say false: the JVM runs its shutdown hooks at once, so on SIGTERM PostgreSQL
   *     stopped while the server was still finishing its requests and steps on it
   */
  public static EmbeddedDatabase start(Path dataDir, boolean stopsWithTheJvm) {
    try {
      Files.createDirectories(dataDir);
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir.resolve("pgdata"))
              .setCleanDataDirectory(false)
              .setOverrideWorkingDirectory(dataDir.resolve("pgbin").toFile())
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("max_connections", "200")
              .setRegisterShutdownHook(stopsWithTheJvm)
              .start();
      log.info("embedded PostgreSQL on 127.0.0.1:{}, data in {}", pg.getPort(), dataDir);
      return new EmbeddedDatabase(pg);
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start: " + e.getMessage(), e);
    }
  }

  public DatabaseSettings settings() {
    return new DatabaseSettings("127.0.0.1", postgres.getPort(), "postgres", "postgres", "");
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }
}
