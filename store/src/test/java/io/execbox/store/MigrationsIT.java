package io.execbox.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationsIT {
  @Test
  void appliesReversesAndAppliesAgain() throws Exception {
    DatabaseSettings db = TestDatabase.freshDatabase();

    int applied = Migrations.migrate(db);
    assertThat(applied).isPositive();
    assertThat(tables(db))
        .contains(
            "accounts", "api_keys", "sessions", "usage_metrics", "machines", "session_output");

    assertThat(Migrations.reverseAll(db)).isEqualTo(applied);
    assertThat(tables(db)).containsOnly("flyway_schema_history");

    assertThat(Migrations.migrate(db)).isEqualTo(applied);
    assertThat(tables(db)).contains("sessions", "machines");
  }

  private static List<String> tables(DatabaseSettings db) throws Exception {
    List<String> names = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }
}
