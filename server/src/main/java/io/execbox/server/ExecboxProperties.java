package io.execbox.server;

import static io.execbox.server.Checks.atLeast;
import static io.execbox.server.Checks.blankToNull;
import static io.execbox.server.Checks.notNegative;
import static io.execbox.server.Checks.positive;
import static io.execbox.server.Checks.present;

import io.execbox.api.auth.ApiKeys;
import io.execbox.crds.Deadlines;
import io.execbox.machines.docker.DockerOptions;
import io.execbox.machines.kubernetes.PodOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Every setting of execbox, bound once at start from {@code execbox.*}; each is usually given as an
 * environment variable, {@code execbox.default-timeout-ms} as {@code EXECBOX_DEFAULT_TIMEOUT_MS}. A
 * value that cannot be used stops the start with one line naming it. The descriptions below become
 * the configuration metadata that IDEs show, hence plain sentences without Javadoc tags.
 *
 * @param roles Roles this process runs: api, operator or both, comma-separated.
 * @param mode What holds the desired state of sessions: standalone (PostgreSQL rows) or kubernetes
 *     (Session resources; needs the kubernetes backend).
 * @param backend Where sessions run: docker (Docker or Podman) or kubernetes (Pods).
 * @param databaseUrl PostgreSQL to use, postgresql://user:pass@host:port/db or a jdbc: URL. When
 *     absent, an embedded PostgreSQL.
 * @param dataDir Folder where the embedded PostgreSQL keeps its data, so that sessions survive a
 *     restart. When absent, ~/.execbox/data.
 * @param databasePoolSize Connections to PostgreSQL.
 * @param bootstrapKey API key (sk_ and 32 or more characters) that exists after start, for scripts
 *     and tests.
 * @param adminToken Bearer token that enables POST /v1/admin/keys. When absent, the admin routes
 *     answer 404.
 * @param advertiseAddress host:port at which an operator-role process serves attach clients; it is
 *     recorded on the sessions it starts so that api replicas forward their clients to it.
 * @param retention Output kept per session for replay.
 * @param defaultTimeoutMs Deadline of a session that gives none, in milliseconds.
 * @param maxActiveSessions Pending and running sessions allowed to each new account.
 * @param rateLimitPerMinute Requests per minute per API key, and per client address.
 * @param accountRateLimitPerMinute Requests per minute per account, all its keys together, counted
 *     for the whole installation (every api replica). When absent, 3 times the per-key limit.
 * @param maxKeysPerAccount Live (not revoked) API keys an account may have.
 * @param defaultCpuMillis CPU limit of a session that gives none, in thousandths of a CPU.
 * @param defaultMemoryMb Memory limit of a session that gives none, in MiB.
 * @param stopGrace Time a stopped command has between SIGTERM and SIGKILL.
 * @param pollInterval How often the lifecycle looks at a session when nothing has told it to. When
 *     absent, 1s with docker and 30s with kubernetes (Pod changes arrive as events).
 * @param reconcileConcurrency Sessions reconciled at once. When absent, 8 in standalone mode and 16
 *     in kubernetes mode.
 * @param sweepInterval How often machines whose session is gone are looked for and destroyed.
 * @param namespace Kubernetes namespace of session Pods and Session resources; it must exist.
 * @param docker Settings of the docker backend.
 * @param kubernetes Settings of the kubernetes backend and of kubernetes mode.
 */
@ConfigurationProperties("execbox")
public record ExecboxProperties(
    @DefaultValue({"api", "operator"}) List<Role> roles,
    @DefaultValue("standalone") Mode mode,
    @DefaultValue("docker") Backend backend,
    String databaseUrl,
    String dataDir,
    @DefaultValue("30") int databasePoolSize,
    String bootstrapKey,
    String adminToken,
    String advertiseAddress,
    @DefaultValue("32MB") DataSize retention,
    @DefaultValue("" + Deadlines.DEFAULT_TIMEOUT_MS) int defaultTimeoutMs,
    @DefaultValue("10") int maxActiveSessions,
    @DefaultValue("100") int rateLimitPerMinute,
    Integer accountRateLimitPerMinute,
    @DefaultValue("20") int maxKeysPerAccount,
    @DefaultValue("1000") int defaultCpuMillis,
    @DefaultValue("512") int defaultMemoryMb,
    @DefaultValue("10s") Duration stopGrace,
    Duration pollInterval,
    Integer reconcileConcurrency,
    @DefaultValue("30s") Duration sweepInterval,
    @DefaultValue("execbox") String namespace,
    @DefaultValue Docker docker,
    @DefaultValue Kubernetes kubernetes) {

  /** What a process does; both by default. */
  public enum Role {
    API,
    OPERATOR
  }

  /** What holds the desired state of sessions. */
  public enum Mode {
    STANDALONE,
    KUBERNETES
  }

  /** Where sessions run. */
  public enum Backend {
    DOCKER,
    KUBERNETES
  }

  public ExecboxProperties {
    if (roles == null || roles.isEmpty()) {
      throw new ConfigurationException("EXECBOX_ROLES must be api, operator or both");
    }
    roles = List.copyOf(roles);
    present("execbox.mode", mode);
    present("execbox.backend", backend);
    if (mode == Mode.KUBERNETES && backend != Backend.KUBERNETES) {
      throw new ConfigurationException(
          "EXECBOX_MODE=kubernetes runs sessions as Pods: set EXECBOX_BACKEND=kubernetes too");
    }
    databaseUrl = blankToNull(databaseUrl);
    dataDir = blankToNull(dataDir);
    atLeast("execbox.database-pool-size", databasePoolSize, 1);
    bootstrapKey = blankToNull(bootstrapKey);
    if (bootstrapKey != null && !ApiKeys.wellFormed(bootstrapKey)) {
      throw new ConfigurationException(
          "EXECBOX_BOOTSTRAP_KEY must be sk_ followed by at least 32 characters from A-Z a-z 0-9 _ -");
    }
    adminToken = blankToNull(adminToken);
    advertiseAddress = blankToNull(advertiseAddress);
    if (present("execbox.retention", retention).toBytes() < 1) {
      throw new ConfigurationException("EXECBOX_RETENTION must be 1B or more, not " + retention);
    }
    atLeast("execbox.default-timeout-ms", defaultTimeoutMs, 1);
    atLeast("execbox.max-active-sessions", maxActiveSessions, 1);
    atLeast("execbox.rate-limit-per-minute", rateLimitPerMinute, 1);
    if (accountRateLimitPerMinute != null) {
      atLeast("execbox.account-rate-limit-per-minute", accountRateLimitPerMinute, 1);
    }
    atLeast("execbox.max-keys-per-account", maxKeysPerAccount, 1);
    atLeast("execbox.default-cpu-millis", defaultCpuMillis, 1);
    atLeast("execbox.default-memory-mb", defaultMemoryMb, 1);
    notNegative("execbox.stop-grace", present("execbox.stop-grace", stopGrace));
    positive("execbox.poll-interval", pollInterval);
    if (reconcileConcurrency != null) {
      atLeast("execbox.reconcile-concurrency", reconcileConcurrency, 1);
    }
    positive("execbox.sweep-interval", present("execbox.sweep-interval", sweepInterval));
    namespace = present("execbox.namespace", blankToNull(namespace));
    present("execbox.docker", docker);
    kubernetes = present("execbox.kubernetes", kubernetes);
  }

  public boolean runs(Role role) {
    return roles.contains(role);
  }

  /** {@link #dataDir}, or {@code ~/.execbox/data}. */
  public Path dataDirectory() {
    return dataDir == null
        ? Path.of(System.getProperty("user.home"), ".execbox", "data")
        : Path.of(dataDir);
  }

  /** {@link #accountRateLimitPerMinute}, or 3 times the per-key limit. */
  public int accountRateLimit() {
    return accountRateLimitPerMinute != null
        ? accountRateLimitPerMinute
        : (int) Math.min(Integer.MAX_VALUE, 3L * rateLimitPerMinute);
  }

  /** {@link #reconcileConcurrency}, or the default of the mode. */
  public int concurrency() {
    if (reconcileConcurrency != null) {
      return reconcileConcurrency;
    }
    return mode == Mode.KUBERNETES ? 16 : 8;
  }

  /**
   * Settings of the docker backend ({@code execbox.docker.*}).
   *
   * @param pull Whether the runtime may pull a missing image: never or missing.
   * @param network Bridge network of outgoing and exposed sessions; created when missing.
   * @param egress filtered: the host's packet filter (nftables, needs root or CAP_NET_ADMIN and the
   *     runtime on this host) keeps outgoing and exposed sessions away from 10/8, 172.16/12,
   *     192.168/16, 169.254/16, 100.64/10 and the host's own addresses; open: no filter.
   * @param userns auto: on Podman, each session gets a user namespace of its own (root inside is an
   *     unprivileged uid outside); host: none.
   * @param user uid or uid:gid every session's command runs as, whatever user its image names. When
   *     absent, the image's own user.
   * @param readOnlyRoot Whether a session's root filesystem is read-only (its files and writes then
   *     go to /tmp only).
   * @param tmpSize Size of the tmpfs on a session's /tmp (it counts against the memory limit); 0
   *     for the image's /tmp on the container's unbounded writable layer.
   * @param capabilities Capabilities a session's command keeps, comma-separated, or none; the
   *     others are dropped.
   * @param pidsLimit Most processes a session may run at once.
   */
  public record Docker(
      @DefaultValue("never") DockerOptions.PullPolicy pull,
      @DefaultValue(DockerOptions.DEFAULT_NETWORK) String network,
      @DefaultValue("filtered") Egress egress,
      @DefaultValue("host") DockerOptions.Userns userns,
      String user,
      @DefaultValue("false") boolean readOnlyRoot,
      @DefaultValue("256MB") DataSize tmpSize,
      @DefaultValue("CHOWN,DAC_OVERRIDE,FOWNER,SETUID,SETGID,KILL") String capabilities,
      @DefaultValue("" + DockerOptions.DEFAULT_PIDS_LIMIT) int pidsLimit) {
    /** Whether the host filters what sessions on the network may reach. */
    public enum Egress {
      FILTERED,
      OPEN
    }

    public Docker {
      present("execbox.docker.pull", pull);
      present("execbox.docker.egress", egress);
      present("execbox.docker.userns", userns);
      capabilities = capabilities == null ? "none" : capabilities.strip();
      atLeast("execbox.docker.pids-limit", pidsLimit, 1);
      if (present("execbox.docker.tmp-size", tmpSize).isNegative()) {
        throw new ConfigurationException("EXECBOX_DOCKER_TMP_SIZE must be 0 or more: " + tmpSize);
      }
      if (readOnlyRoot && tmpSize.toBytes() == 0) {
        throw new ConfigurationException(
            "EXECBOX_DOCKER_READ_ONLY_ROOT=true needs a /tmp: set EXECBOX_DOCKER_TMP_SIZE above 0");
      }
      check("EXECBOX_DOCKER_NETWORK", () -> new DockerOptions.Network(network, true));
      check("EXECBOX_DOCKER_USER", () -> new DockerOptions.Sandbox(userns, user, false, 1, null));
      List<String> caps = capabilityList(capabilities);
      check(
          "EXECBOX_DOCKER_CAPABILITIES",
          () -> new DockerOptions.Sandbox(userns, null, false, 1, caps));
    }

    /** {@code none} or an empty value: no capability. */
    private static List<String> capabilityList(String value) {
      return value.isEmpty() || value.equalsIgnoreCase("none")
          ? List.of()
          : List.of(value.split(","));
    }

    private static void check(String variable, Runnable construct) {
      try {
        construct.run();
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException(variable + ": " + e.getMessage());
      }
    }

    /** These settings as the backend takes them. */
    public DockerOptions options(String installation) {
      return new DockerOptions(
          pull,
          pidsLimit,
          DockerOptions.DEFAULT_EXPOSE_HOST,
          installation,
          new DockerOptions.Network(network, egress == Egress.FILTERED),
          new DockerOptions.Sandbox(
              userns, user, readOnlyRoot, tmpSize.toBytes(), capabilityList(capabilities)));
    }
  }

  /**
   * Settings of the kubernetes backend and of kubernetes mode ({@code execbox.kubernetes.*}).
   *
   * @param pullPolicy Image pull policy of session Pods: IfNotPresent, Never or Always.
   * @param stdioGate Without the agent: whether each command waits until its attach is connected
   *     (needs /bin/sh in the image).
   * @param agent Whether each session Pod runs the in-machine agent as its PID 1 in front of the
   *     command (stdout and stderr apart from the first byte, stdin with end of file, signals, the
   *     exit code at once); needs nothing from the image.
   * @param cpuRequestPercent CPU a session Pod requests, in percent of its CPU limit.
   * @param runAsUser Non-root uid and gid every session Pod runs as, whatever user its image names.
   *     When absent, the image's own user.
   * @param account Kubernetes mode: account of Sessions applied with kubectl, unless their
   *     io.execbox.owner label names an existing account.
   * @param namespaceAccounts Kubernetes mode: namespace=account,… pairs, the accounts of Sessions
   *     applied with kubectl in those namespaces.
   * @param lease Kubernetes mode: name of the operator's Lease.
   * @param leaseDuration Kubernetes mode: how long the operator's Lease lasts unless renewed.
   */
  public record Kubernetes(
      @DefaultValue("IfNotPresent") String pullPolicy,
      @DefaultValue("true") boolean stdioGate,
      @DefaultValue("true") boolean agent,
      @DefaultValue("" + PodOptions.DEFAULT_CPU_REQUEST_PERCENT) int cpuRequestPercent,
      Long runAsUser,
      @DefaultValue("acct_kubernetes") String account,
      String namespaceAccounts,
      @DefaultValue("execbox-operator") String lease,
      @DefaultValue("15s") Duration leaseDuration) {
    private static final List<String> PULL_POLICIES = List.of("IfNotPresent", "Never", "Always");

    public Kubernetes {
      if (!PULL_POLICIES.contains(pullPolicy)) {
        throw new ConfigurationException(
            "EXECBOX_KUBERNETES_PULL_POLICY must be IfNotPresent, Never or Always, not "
                + pullPolicy);
      }
      if (cpuRequestPercent < 1 || cpuRequestPercent > 100) {
        throw new ConfigurationException(
            "EXECBOX_KUBERNETES_CPU_REQUEST_PERCENT must be 1..100, not " + cpuRequestPercent);
      }
      if (runAsUser != null && runAsUser < 1) {
        throw new ConfigurationException(
            "EXECBOX_KUBERNETES_RUN_AS_USER must be a non-root user id (1 or more), not "
                + runAsUser);
      }
      account = present("execbox.kubernetes.account", blankToNull(account));
      namespaceAccounts = blankToNull(namespaceAccounts);
      accounts(namespaceAccounts);
      lease = present("execbox.kubernetes.lease", blankToNull(lease));
      positive(
          "execbox.kubernetes.lease-duration",
          present("execbox.kubernetes.lease-duration", leaseDuration));
    }

    /** {@link #namespaceAccounts} as namespace → account. */
    public Map<String, String> namespaceAccountMap() {
      return accounts(namespaceAccounts);
    }

    private static Map<String, String> accounts(String pairs) {
      Map<String, String> byNamespace = new LinkedHashMap<>();
      for (String pair : pairs == null ? new String[0] : pairs.split(",")) {
        if (pair.isBlank()) {
          continue;
        }
        String[] kv = pair.split("=", 2);
        if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
          throw new ConfigurationException(
              "EXECBOX_KUBERNETES_NAMESPACE_ACCOUNTS must be namespace=account,…, not " + pair);
        }
        byNamespace.put(kv[0].strip(), kv[1].strip());
      }
      return Collections.unmodifiableMap(byNamespace);
    }
  }
}
