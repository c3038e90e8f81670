package io.execbox.server;

import io.execbox.store.DatabaseSettings;
import io.execbox.store.EmbeddedDatabase;
import io.execbox.store.Migrations;
import io.execbox.store.Store;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * PostgreSQL: EXECBOX_DATABASE_URL when set, else an embedded one whose data stays under
 * EXECBOX_DATA_DIR. Flyway migrates it before anything else uses it.
 */
@Configuration(proxyBeanMethods = false)
class StoreConfiguration {
  private static final Logger log = LoggerFactory.getLogger(StoreConfiguration.class);

  /** Holds the embedded server, if one was started, so that it stops with the context. */
  record Database(DatabaseSettings settings, EmbeddedDatabase embedded) implements AutoCloseable {
    @Override
    public void close() {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  @Bean(destroyMethod = "close")
  Database database(ExecboxProperties p) {
    String url = p.databaseUrl();
    if (url != null) {
      try {
        return new Database(DatabaseSettings.parse(url), null);
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException(e.getMessage(), e);
      }
    }
    Path dir = p.dataDirectory();
    try {
      // stopped by this context, after everything that uses it (never by a hook of its own)
      EmbeddedDatabase embedded = EmbeddedDatabase.start(dir.resolve("postgres"), false);
      return new Database(embedded.settings(), embedded);
    } catch (RuntimeException e) {
      throw new ConfigurationException(
          "the embedded PostgreSQL did not start in "
              + dir
              + " ("
              + e.getMessage()
              + "); set EXECBOX_DATA_DIR to a writable folder or EXECBOX_DATABASE_URL",
          e);
    }
  }

  @Bean(destroyMethod = "close")
  Store store(Database db, ExecboxProperties p) {
    try {
      int n = Migrations.migrate(db.settings());
      if (n > 0) {
        log.info("applied {} schema migrations to {}", n, db.settings());
      }
    } catch (RuntimeException e) {
      throw new ConfigurationException(
          "cannot reach or migrate PostgreSQL at "
              + db.settings()
              + ": "
              + StartupFailures.rootMessage(e),
          e);
    }
    return new Store(db.settings(), p.databasePoolSize());
  }
}
