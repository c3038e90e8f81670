package io.execbox.server;

import java.time.Duration;
import java.util.Locale;

/**
 * The checks of the configuration tree. Each failure is a {@link ConfigurationException} naming the
 * environment variable, since that is how execbox is almost always configured.
 */
final class Checks {
  private Checks() {}

  /** {@code execbox.kubernetes.pull-policy} → {@code EXECBOX_KUBERNETES_PULL_POLICY}. */
  static String variable(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  static int atLeast(String key, int value, int min) {
    if (value < min) {
      throw new ConfigurationException(
          variable(key) + " must be " + min + " or more, not " + value);
    }
    return value;
  }

  /** A period that must be longer than zero; null (unset) passes. */
  static Duration positive(String key, Duration value) {
    if (value != null && (value.isZero() || value.isNegative())) {
      throw new ConfigurationException(
          variable(key) + " must be longer than zero, not " + text(value));
    }
    return value;
  }

  static Duration notNegative(String key, Duration value) {
    if (value != null && value.isNegative()) {
      throw new ConfigurationException(variable(key) + " must not be negative, not " + text(value));
    }
    return value;
  }

  static <T> T present(String key, T value) {
    if (value == null) {
      throw new ConfigurationException(variable(key) + " must not be empty");
    }
    return value;
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** An empty variable means unset, as it always has. */
  static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
