package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.machines.docker.DockerOptions;
import io.execbox.server.ExecboxProperties.Backend;
import io.execbox.server.ExecboxProperties.Mode;
import io.execbox.server.ExecboxProperties.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

/**
 * The tree binds environment variables as the {@code @Value}s it replaced did, with their defaults.
 */
class ConfigurationTreeTest {
  static ExecboxProperties bind(Map<String, Object> environment) {
    MutablePropertySources sources = new MutablePropertySources();
    sources.addFirst(new SystemEnvironmentPropertySource("systemEnvironment", environment));
    return new Binder(ConfigurationPropertySources.from(sources))
        .bindOrCreate("execbox", ExecboxProperties.class);
  }

  @Test
  void withNothingSetEveryDefaultIsTheOneOfBefore() {
    ExecboxProperties p = bind(Map.of());
    assertThat(p.roles()).containsExactly(Role.API, Role.OPERATOR);
    assertThat(p.mode()).isEqualTo(Mode.STANDALONE);
    assertThat(p.backend()).isEqualTo(Backend.DOCKER);
    assertThat(p.databaseUrl()).isNull();
    assertThat(p.dataDirectory())
        .isEqualTo(Path.of(System.getProperty("user.home"), ".execbox", "data"));
    assertThat(p.databasePoolSize()).isEqualTo(30);
    assertThat(p.bootstrapKey()).isNull();
    assertThat(p.adminToken()).isNull();
    assertThat(p.advertiseAddress()).isNull();
    assertThat(p.retention()).isEqualTo(DataSize.ofMegabytes(32));
    assertThat(p.defaultTimeoutMs()).isEqualTo(300_000);
    assertThat(p.maxActiveSessions()).isEqualTo(10);
    assertThat(p.rateLimitPerMinute()).isEqualTo(100);
    assertThat(p.accountRateLimit()).isEqualTo(300);
    assertThat(p.maxKeysPerAccount()).isEqualTo(20);
    assertThat(p.defaultCpuMillis()).isEqualTo(1000);
    assertThat(p.defaultMemoryMb()).isEqualTo(512);
    assertThat(p.stopGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.pollInterval()).isNull();
    assertThat(p.concurrency()).isEqualTo(8);
    assertThat(p.sweepInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.namespace()).isEqualTo("execbox");
    assertThat(p.docker().pull()).isEqualTo(DockerOptions.PullPolicy.NEVER);
    ExecboxProperties.Kubernetes k = p.kubernetes();
    assertThat(k.pullPolicy()).isEqualTo("IfNotPresent");
    assertThat(k.stdioGate()).isTrue();
    assertThat(k.cpuRequestPercent()).isEqualTo(10);
    assertThat(k.runAsUser()).isNull();
    assertThat(k.account()).isEqualTo("acct_kubernetes");
    assertThat(k.namespaceAccountMap()).isEmpty();
    assertThat(k.lease()).isEqualTo("execbox-operator");
    assertThat(k.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void environmentVariablesReachEveryBranchOfTheTree() {
    ExecboxProperties p =
        bind(
            Map.ofEntries(
                Map.entry("EXECBOX_ROLES", "operator"),
                Map.entry("EXECBOX_MODE", "kubernetes"),
                Map.entry("EXECBOX_BACKEND", "kubernetes"),
                Map.entry("EXECBOX_DATA_DIR", "/tmp/x"),
                Map.entry("EXECBOX_RETENTION", "12MB"),
                Map.entry("EXECBOX_DEFAULT_TIMEOUT_MS", "60000"),
                Map.entry("EXECBOX_STOP_GRACE", "2s"),
                Map.entry("EXECBOX_POLL_INTERVAL", "500ms"),
                Map.entry("EXECBOX_DOCKER_PULL", "missing"),
                Map.entry("EXECBOX_KUBERNETES_PULL_POLICY", "Never"),
                Map.entry("EXECBOX_KUBERNETES_STDIO_GATE", "false"),
                Map.entry("EXECBOX_KUBERNETES_RUN_AS_USER", "1000"),
                Map.entry("EXECBOX_KUBERNETES_NAMESPACE_ACCOUNTS", "a=acct_a, b=acct_b"),
                Map.entry("EXECBOX_KUBERNETES_LEASE_DURATION", "20s")));
    assertThat(p.roles()).containsExactly(Role.OPERATOR);
    assertThat(p.mode()).isEqualTo(Mode.KUBERNETES);
    assertThat(p.dataDirectory()).isEqualTo(Path.of("/tmp/x"));
    assertThat(p.retention()).isEqualTo(DataSize.ofMegabytes(12));
    assertThat(p.defaultTimeoutMs()).isEqualTo(60_000);
    assertThat(p.stopGrace()).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.pollInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(p.concurrency()).as("kubernetes mode's own default").isEqualTo(16);
    assertThat(p.docker().pull()).isEqualTo(DockerOptions.PullPolicy.MISSING);
    assertThat(p.kubernetes().pullPolicy()).isEqualTo("Never");
    assertThat(p.kubernetes().stdioGate()).isFalse();
    assertThat(p.kubernetes().runAsUser()).isEqualTo(1000L);
    assertThat(p.kubernetes().namespaceAccountMap())
        .isEqualTo(Map.of("a", "acct_a", "b", "acct_b"));
    assertThat(p.kubernetes().leaseDuration()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void anEmptyVariableIsUnsetAsBefore() {
    ExecboxProperties p =
        bind(
            Map.of(
                "EXECBOX_DATABASE_URL", "",
                "EXECBOX_ADMIN_TOKEN", " ",
                "EXECBOX_ADVERTISE_ADDRESS", "",
                "EXECBOX_POLL_INTERVAL", ""));
    assertThat(p.databaseUrl()).isNull();
    assertThat(p.adminToken()).isNull();
    assertThat(p.advertiseAddress()).isNull();
    assertThat(p.pollInterval()).isNull();
  }

  @Test
  void rolesMayBeWrittenWithSpacesAndInAnyCase() {
    assertThat(bind(Map.of("EXECBOX_ROLES", "API, Operator")).roles())
        .isEqualTo(List.of(Role.API, Role.OPERATOR));
  }

  @Test
  void theDockerSandboxSettingsBindWithSafeDefaultsAndBadOnesStopTheStartWithTheirName() {
    DockerOptions d = bind(Map.of()).docker().options("inst");
    assertThat(d.network()).isEqualTo(new DockerOptions.Network("execbox", true));
    assertThat(d.sandbox()).isEqualTo(DockerOptions.Sandbox.defaults());
    assertThat(d.pidsLimit()).isEqualTo(1024);

    DockerOptions set =
        bind(Map.of(
                "EXECBOX_DOCKER_NETWORK", "sandboxes",
                "EXECBOX_DOCKER_EGRESS", "open",
                "EXECBOX_DOCKER_USERNS", "host",
                "EXECBOX_DOCKER_USER", "1000:1000",
                "EXECBOX_DOCKER_READ_ONLY_ROOT", "true",
                "EXECBOX_DOCKER_TMP_SIZE", "64MB",
                "EXECBOX_DOCKER_CAPABILITIES", "none",
                "EXECBOX_DOCKER_PIDS_LIMIT", "50"))
            .docker()
            .options("inst");
    assertThat(set.network()).isEqualTo(new DockerOptions.Network("sandboxes", false));
    assertThat(set.sandbox())
        .isEqualTo(
            new DockerOptions.Sandbox(
                DockerOptions.Userns.HOST, "1000:1000", true, 64L * 1024 * 1024, List.of()));
    assertThat(set.pidsLimit()).isEqualTo(50);

    for (Map.Entry<String, String> bad :
        Map.of(
                "EXECBOX_DOCKER_USER", "root",
                "EXECBOX_DOCKER_NETWORK", "../x",
                "EXECBOX_DOCKER_CAPABILITIES", "CHOWN,rm -rf")
            .entrySet()) {
      assertThatThrownBy(() -> bind(Map.of(bad.getKey(), bad.getValue())))
          .hasRootCauseInstanceOf(ConfigurationException.class)
          .rootCause()
          .hasMessageContaining(bad.getKey());
    }
    assertThatThrownBy(
            () ->
                bind(
                    Map.of(
                        "EXECBOX_DOCKER_READ_ONLY_ROOT", "true", "EXECBOX_DOCKER_TMP_SIZE", "0")))
        .rootCause()
        .hasMessageContaining("EXECBOX_DOCKER_TMP_SIZE");
  }
}
