package io.execbox.server;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.boot.origin.SystemEnvironmentOrigin;
import org.springframework.core.ResolvableType;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

/** Finds the one line that tells a user what to fix when start-up fails. */
final class StartupFailures {
  private StartupFailures() {}

  /** What {@code main} prints, on one line, when the application does not start. */
  static String line(Throwable e) {
    return "execbox: cannot start: " + explain(e).replaceAll("\\s*\\R\\s*", " ");
  }

  static String explain(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConfigurationException) {
        return t.getMessage();
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException b) {
        return unusable(b);
      }
    }
    return rootMessage(e);
  }

  /** The message of the innermost cause, which is usually the one that names the problem. */
  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }

  /**
   * A value of the wrong type (a size that is not one, an unknown backend): names the setting as
   * the user wrote it, environment variable or key, and what it should be.
   */
  private static String unusable(BindException e) {
    ConfigurationProperty property = e.getProperty();
    String name = property == null ? Checks.variable(e.getName().toString()) : writtenAs(property);
    String expected = expected(e.getTarget().getType());
    if (expected == null) {
      return name + ": " + rootMessage(e);
    }
    return name + " must be " + expected + (property == null ? "" : ", not " + property.getValue());
  }

  private static String writtenAs(ConfigurationProperty property) {
    Origin o = property.getOrigin();
    while (o != null) {
      if (o instanceof SystemEnvironmentOrigin env) {
        return env.getProperty();
      }
      if (o instanceof PropertySourceOrigin p) {
        if (p.getPropertySource() instanceof SystemEnvironmentPropertySource) {
          return p.getPropertyName();
        }
        o = p.getOrigin();
      } else {
        o = o.getParent();
      }
    }
    return property.getName().toString();
  }

  private static String expected(ResolvableType type) {
    Class<?> c = type.resolve(Object.class);
    if (Collection.class.isAssignableFrom(c)) {
      String each = expected(type.asCollection().getGeneric(0));
      return each == null ? null : "a comma-separated list of " + each;
    }
    if (c == java.time.Duration.class) {
      return "a duration such as 10s, 500ms or 2m";
    }
    if (c == DataSize.class) {
      return "a size such as 32MB or 512KB";
    }
    if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
      return "a whole number";
    }
    if (c == boolean.class || c == Boolean.class) {
      return "true or false";
    }
    if (c.isEnum()) {
      List<String> names =
          Arrays.stream(c.getEnumConstants())
              .map(v -> ((Enum<?>) v).name().toLowerCase(Locale.ROOT))
              .toList();
      return names.size() == 1
          ? names.get(0)
          : String.join(", ", names.subList(0, names.size() - 1))
              + " or "
              + names.get(names.size() - 1);
    }
    return null;
  }
}
