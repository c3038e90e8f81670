package io.execbox.store;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where PostgreSQL is, in the two forms the drivers want: R2DBC for the app, JDBC for Flyway.
 *
 * @param host host name
 * @param port port
 * @param database database name
 * @param user user
 * @param password password, never logged
 */
public record DatabaseSettings(
    String host, int port, String database, String user, String password) {

  /**
   * Parses {@code postgresql://user:pass@host:port/db}, {@code postgres://…} or {@code
   * jdbc:postgresql://host:port/db?user=…&password=…}. Throws IllegalArgumentException with a
   * message that names the expected form, never the password.
   */
  public static DatabaseSettings parse(String url) {
    String u = url.trim();
    if (u.startsWith("jdbc:")) {
      u = u.substring(5);
    }
    if (u.startsWith("postgres://")) {
      u = "postgresql://" + u.substring("postgres://".length());
    }
    if (u.startsWith("r2dbc:")) {
      u = u.substring(6);
    }
    URI uri;
    try {
      uri = URI.create(u);
    } catch (IllegalArgumentException e) {
      throw badUrl();
    }
    if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null) {
      throw badUrl();
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    if (uri.getRawQuery() != null) {
      for (String kv : uri.getRawQuery().split("&")) {
        String[] p = kv.split("=", 2);
        if (p.length == 2 && p[0].equals("user")) {
          user = decode(p[1]);
        } else if (p.length == 2 && p[0].equals("password")) {
          password = decode(p[1]);
        }
      }
    }
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    if (path.isEmpty()) {
      throw badUrl();
    }
    return new DatabaseSettings(
        uri.getHost(),
        uri.getPort() < 0 ? 5432 : uri.getPort(),
        path,
        user == null ? "postgres" : user,
        password == null ? "" : password);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static IllegalArgumentException badUrl() {
    return new IllegalArgumentException(
        "EXECBOX_DATABASE_URL is not a PostgreSQL URL; expected"
            + " postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
  }
}
