package io.execbox.server;

import io.execbox.machines.kubernetes.TestCluster;
import io.execbox.store.DatabaseSettings;
import io.execbox.store.TestDatabase;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real execbox server for integration tests: the Spring app on a random loopback port, a real
 * PostgreSQL (one per test JVM, a database per server) and the real container runtime of
 * DOCKER_HOST. One shared instance serves most test classes; restart tests make their own.
 */
public final class TestServer implements AutoCloseable {
  public static final String ADMIN_TOKEN = "admin-token-for-tests-only-0123456789";
  public static final String IMAGE = "localhost/execbox-test/busybox:latest";

  private static TestServer shared;
  private static TestServer kubernetes;
  private static TestServer split;

  private final DatabaseSettings db;
  private final Map<String, Object> overrides;
  private ConfigurableApplicationContext context;

  private TestServer(DatabaseSettings db, Map<String, Object> overrides) {
    this.db = db;
    this.overrides = overrides;
  }

  /** The server most tests share, started on first use. */
  public static synchronized TestServer shared() {
    if (shared == null) {
      shared = start(Map.of());
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
    }
    return shared;
  }

  /** The account of Sessions applied with kubectl in the shared kubernetes server's namespace. */
  public static final String KUBECTL_ACCOUNT = "acct_kubectl_team";

  /**
   * A server in kubernetes mode on the test node (EXECBOX_TEST_KUBECONFIG): Session resources
   * reconciled by the operator into Pods, in a namespace of their own; skips the test when there is
   * no node.
   */
  public static synchronized TestServer kubernetes() {
    if (kubernetes == null) {
      TestCluster.assumePodsRun();
      String namespace = kubernetesNamespace("execbox-e2e");
      Map<String, Object> config = new HashMap<>(kubernetesMode(namespace));
      // Sessions applied with kubectl in this namespace go to its own account (KubernetesModeIT)
      config.put(
          "execbox.kubernetes.namespace-accounts",
          "elsewhere=acct_elsewhere," + namespace + "=" + KUBECTL_ACCOUNT);
      kubernetes = start(config);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    kubernetes.close();
                    try (var client = TestCluster.client()) {
                      TestCluster.deleteNamespace(client, namespace);
                    }
                  }));
    }
    return kubernetes;
  }

  /**
   * Kubernetes mode split as the Helm chart deploys it: an operator-only process, which advertises
   * its attach address, and an api-only replica on the same database, which is returned: its
   * clients are forwarded to the operator holding their session's stdio.
   */
  public static synchronized TestServer kubernetesSplit() {
    if (split == null) {
      TestCluster.assumePodsRun();
      String namespace = kubernetesNamespace("execbox-split");
      int port = freePort();
      Map<String, Object> operatorRole = new HashMap<>(kubernetesMode(namespace));
      operatorRole.put("execbox.roles", "operator");
      operatorRole.put("server.port", port);
      operatorRole.put("execbox.advertise-address", "127.0.0.1:" + port);
      TestServer operator = start(operatorRole);
      Map<String, Object> apiRole = new HashMap<>(kubernetesMode(namespace));
      apiRole.put("execbox.roles", "api");
      split = operator.replica(apiRole);
      TestServer api = split;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    api.close();
                    operator.close();
                    try (var client = TestCluster.client()) {
                      TestCluster.deleteNamespace(client, namespace);
                    }
                  }));
    }
    return split;
  }

  private static int freePort() {
    try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A fresh namespace on the test node with the Session CRD installed (from the chart, as a user
   * installs it), and the server's Kubernetes client pointed at the node.
   */
  public static String kubernetesNamespace(String prefix) {
    java.nio.file.Path kubeconfig = TestCluster.kubeconfig();
    try (var client = TestCluster.client()) {
      installCrd(client);
      // read by the server's Kubernetes client, as KUBECONFIG would be
      System.setProperty("kubeconfig", kubeconfig.toString());
      return TestCluster.freshNamespace(client, prefix);
    }
  }

  /** The settings of a kubernetes-mode server on {@code namespace}. */
  public static Map<String, Object> kubernetesMode(String namespace) {
    // Pods request 5% of their CPU limit: twenty 1-CPU sessions at once fit the 2-core test node
    return Map.of(
        "execbox.mode",
        "kubernetes",
        "execbox.backend",
        "kubernetes",
        "execbox.namespace",
        namespace,
        "execbox.kubernetes.cpu-request-percent",
        5);
  }

  /** The Session CRD as the chart carries it in {@code crds/}. */
  static io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition chartCrd(
      io.fabric8.kubernetes.client.KubernetesClient client) {
    java.nio.file.Path crd =
        HelmChartTest.CHART.resolve("crds").resolve("sessions.execbox.io-v1.yml");
    try (var in = java.nio.file.Files.newInputStream(crd)) {
      return client.apiextensions().v1().customResourceDefinitions().load(in).item();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read " + crd.toAbsolutePath(), e);
    }
  }

  static synchronized void installCrd(io.fabric8.kubernetes.client.KubernetesClient client) {
    var loaded = chartCrd(client);
    client.resource(loaded).forceConflicts().serverSideApply();
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .withName(loaded.getMetadata().getName())
        .waitUntilCondition(
            c ->
                c != null
                    && c.getStatus() != null
                    && c.getStatus().getConditions() != null
                    && c.getStatus().getConditions().stream()
                        .anyMatch(
                            x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
            30,
            java.util.concurrent.TimeUnit.SECONDS);
  }

  /** A kubernetes-mode server on {@code ns} with test wiring added to its context. */
  static TestServer kubernetesWith(String ns, Class<?> wiring) {
    Map<String, Object> props = new HashMap<>(kubernetesMode(ns));
    props.put("spring.main.sources", wiring.getName());
    return start(props);
  }

  /** A server of its own, on a fresh database. */
  public static TestServer start(Map<String, Object> overrides) {
    TestServer s = new TestServer(TestDatabase.freshDatabase(), overrides);
    s.startContext();
    return s;
  }

  /** The URL of this server's database, as EXECBOX_DATABASE_URL takes it. */
  public String databaseUrl() {
    return "postgresql://" + db.user() + "@" + db.host() + ":" + db.port() + "/" + db.database();
  }

  /** A second server on this one's database: another replica of the same installation. */
  public TestServer replica(Map<String, Object> overrides) {
    TestServer s = new TestServer(db, overrides);
    s.startContext();
    return s;
  }

  /** Stops the server and starts it again on the same database (a restart). */
  public void restart() {
    context.close();
    startContext();
  }

  private void startContext() {
    Map<String, Object> props = new HashMap<>();
    props.put("server.port", 0);
    props.put("management.server.port", 0);
    props.put(
        "execbox.database-url",
        "postgresql://" + db.user() + "@" + db.host() + ":" + db.port() + "/" + db.database());
    props.put("execbox.admin-token", ADMIN_TOKEN);
    props.put("execbox.stop-grace", "2s");
    props.put("execbox.retention", "12MB");
    props.put("execbox.sweep-interval", "5s");
    props.putAll(overrides);
    // command-line arguments outrank application.properties
    String[] args =
        props.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    context = new SpringApplicationBuilder(ExecboxServer.class).run(args);
  }

  public String baseUrl() {
    int port = ((WebServerApplicationContext) context).getWebServer().getPort();
    return "http://127.0.0.1:" + port;
  }

  /** Where this server's management port (actuator: health probes, Prometheus) answers. */
  public String managementUrl() {
    String port = context.getEnvironment().getProperty("local.management.port");
    if (port == null) {
      throw new AssertionError("the server has no management port of its own");
    }
    return "http://127.0.0.1:" + port;
  }

  public ConfigurableApplicationContext context() {
    return context;
  }

  public <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  @Override
  public void close() {
    if (context != null) {
      context.close();
    }
  }
}
