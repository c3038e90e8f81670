package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.reactive.context.StandardReactiveWebEnvironment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The application started as {@code main} starts it, with one bad environment variable: it stops
 * before touching a database or a container runtime, with the one line that names the variable.
 */
class StartupLineTest {
  /** The line {@code main} would print, starting with {@code environment} as the process's. */
  static String startWith(Map<String, Object> environment, String... args) {
    StandardReactiveWebEnvironment env = new StandardReactiveWebEnvironment();
    env.getPropertySources()
        .replace(
            StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environment));
    Throwable failure =
        catchThrowable(
            () ->
                new SpringApplicationBuilder(ExecboxServer.class)
                    .environment(env)
                    .properties("server.port=0")
                    .run(args)
                    .close());
    assertThat(failure).as("the start fails").isNotNull();
    return StartupFailures.line(failure);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "EXECBOX_RETENTION | banana | EXECBOX_RETENTION must be a size such as 32MB or 512KB, not banana",
        "EXECBOX_STOP_GRACE | -1s | EXECBOX_STOP_GRACE must not be negative, not -1s",
        "EXECBOX_STOP_GRACE | soon | EXECBOX_STOP_GRACE must be a duration such as 10s, 500ms or 2m, not soon",
        "EXECBOX_BACKEND | nonsense | EXECBOX_BACKEND must be docker or kubernetes, not nonsense",
        "EXECBOX_MODE | cluster | EXECBOX_MODE must be standalone or kubernetes, not cluster",
        "EXECBOX_MODE | kubernetes | EXECBOX_MODE=kubernetes runs sessions as Pods: set EXECBOX_BACKEND=kubernetes too",
        "EXECBOX_ROLES | api,banana | EXECBOX_ROLES must be a comma-separated list of api or operator, not api,banana",
        "EXECBOX_MAX_ACTIVE_SESSIONS | 0 | EXECBOX_MAX_ACTIVE_SESSIONS must be 1 or more, not 0",
        "EXECBOX_MAX_ACTIVE_SESSIONS | ten | EXECBOX_MAX_ACTIVE_SESSIONS must be a whole number, not ten",
        "EXECBOX_SWEEP_INTERVAL | 0s | EXECBOX_SWEEP_INTERVAL must be longer than zero, not 0s",
        "EXECBOX_DOCKER_PULL | always | EXECBOX_DOCKER_PULL must be never or missing, not always",
        "EXECBOX_KUBERNETES_STDIO_GATE | maybe | EXECBOX_KUBERNETES_STDIO_GATE must be true or false, not maybe",
        "EXECBOX_KUBERNETES_CPU_REQUEST_PERCENT | 500 | EXECBOX_KUBERNETES_CPU_REQUEST_PERCENT must be 1..100, not 500",
        "EXECBOX_KUBERNETES_PULL_POLICY | sometimes | EXECBOX_KUBERNETES_PULL_POLICY must be IfNotPresent, Never or Always, not sometimes",
        "EXECBOX_KUBERNETES_NAMESPACE_ACCOUNTS | team | EXECBOX_KUBERNETES_NAMESPACE_ACCOUNTS must be namespace=account,…, not team",
        "EXECBOX_BOOTSTRAP_KEY | sk_short | EXECBOX_BOOTSTRAP_KEY must be sk_ followed by at least 32 characters from A-Z a-z 0-9 _ -",
      })
  void aBadVariableStopsTheStartWithOneLineNamingIt(String variable, String value, String says) {
    assertThat(startWith(Map.of(variable, value))).isEqualTo("execbox: cannot start: " + says);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--execbox.retention=banana | execbox.retention must be a size such as 32MB or 512KB, not banana",
        "--execbox.kubernetes.lease-duration=-5s | EXECBOX_KUBERNETES_LEASE_DURATION must be longer than zero, not -5s",
      })
  void aBadKeyOnTheCommandLineIsNamedToo(String arg, String says) {
    assertThat(startWith(Map.of(), arg)).isEqualTo("execbox: cannot start: " + says);
  }
}
