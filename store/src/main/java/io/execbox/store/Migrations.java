package io.execbox.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;

/**
 * Applies the schema with Flyway, and reverses it with the {@code db/reverse/U<n>__*.sql} scripts
 * that every migration ships with.
 */
public final class Migrations {
  private Migrations() {}

  /** Applies every pending migration; returns how many ran. */
  public static int migrate(DatabaseSettings db) {
    return flyway(db).migrate().migrationsExecuted;
  }

  /** Runs the reverse script of every applied migration, newest first, and forgets them. */
  public static int reverseAll(DatabaseSettings db) {
    Flyway flyway = flyway(db);
    List<MigrationInfo> applied = new ArrayList<>(List.of(flyway.info().applied()));
    applied.removeIf(m -> m.getVersion() == null);
    applied.sort(Comparator.comparing(MigrationInfo::getVersion).reversed());
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      for (MigrationInfo m : applied) {
        String name = "db/reverse/U" + m.getVersion() + "__" + scriptSuffix(m.getScript());
        st.execute(read(name));
        st.execute("DELETE FROM flyway_schema_history WHERE version = '" + m.getVersion() + "'");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reversing migrations failed: " + e.getMessage(), e);
    }
    return applied.size();
  }

  private static String scriptSuffix(String script) {
    String file = script.substring(script.lastIndexOf('/') + 1);
    return file.substring(file.indexOf("__") + 2);
  }

  private static String read(String resource) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no reverse script " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
  }

  private static Flyway flyway(DatabaseSettings db) {
    return Flyway.configure()
        .dataSource(db.jdbcUrl(), db.user(), db.password())
        .locations("classpath:db/migration")
        .load();
  }
}
