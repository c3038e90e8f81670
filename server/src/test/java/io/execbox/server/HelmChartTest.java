package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart, linted strictly and rendered by Helm itself (helm-java: the real Helm, in process).
 */
class HelmChartTest {
  static final Path CHART = Path.of("..", "helm", "execbox");
  static final ObjectMapper JSON = new ObjectMapper();

  static List<JsonNode> render(Helm helm) {
    return parse(
        helm.template()
            .withName("sandbox")
            .withNamespace("execbox")
            .set("database.url", "postgresql://execbox:secret@db:5432/execbox")
            .call());
  }

  static List<JsonNode> parse(String manifests) {
    List<JsonNode> out = new ArrayList<>();
    for (Object doc : new Yaml().loadAll(manifests)) {
      if (doc != null) {
        out.add(JSON.valueToTree(doc));
      }
    }
    return out;
  }

  static JsonNode find(List<JsonNode> docs, String kind, String name) {
    return docs.stream()
        .filter(d -> kind.equals(d.path("kind").asText()))
        .filter(d -> name.equals(d.path("metadata").path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  static List<String> rules(JsonNode role) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : role.path("rules")) {
      for (JsonNode res : r.path("resources")) {
        for (JsonNode verb : r.path("verbs")) {
          out.add(res.asText() + ":" + verb.asText());
        }
      }
    }
    return out;
  }

  @Test
  void lintsCleanEvenWhenStrict() {
    LintResult r = new Helm(CHART).lint().strict().call();
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
    assertThat(r.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
  }

  @Test
  void rendersBothRolesHardenedWithProbesAndTheirOwnLeastPrivilege() {
    List<JsonNode> docs = render(new Helm(CHART));
    for (String role : List.of("api", "operator")) {
      JsonNode d = find(docs, "Deployment", "sandbox-execbox-" + role);
      JsonNode pod = d.path("spec").path("template").path("spec");
      assertThat(pod.path("serviceAccountName").asText()).isEqualTo("sandbox-execbox-" + role);
      assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
      JsonNode c = pod.path("containers").get(0);
      assertThat(c.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
      assertThat(c.path("securityContext").path("allowPrivilegeEscalation").asBoolean()).isFalse();
      assertThat(c.path("readinessProbe").path("httpGet").path("path").asText())
          .isEqualTo("/actuator/health/readiness");
      assertThat(c.path("livenessProbe").isMissingNode()).isFalse();
      // actuator is served on a management port of its own, never on the API's (issue 14)
      for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
        assertThat(c.path(probe).path("httpGet").path("port").asText())
            .as(role + " " + probe)
            .isEqualTo("management");
      }
      List<String> ports = new ArrayList<>();
      c.path("ports")
          .forEach(p -> ports.add(p.path("name").asText() + ":" + p.path("containerPort").asInt()));
      assertThat(ports).contains("http:8080", "management:9090");
      JsonNode annotations = d.path("spec").path("template").path("metadata").path("annotations");
      assertThat(annotations.path("prometheus.io/scrape").asText()).isEqualTo("true");
      assertThat(annotations.path("prometheus.io/port").asText()).isEqualTo("9090");
      assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo("/actuator/prometheus");
      List<String> env = new ArrayList<>();
      c.path("env").forEach(e -> env.add(e.path("name").asText() + "=" + e.path("value").asText()));
      assertThat(env)
          .contains(
              "EXECBOX_ROLES=" + role, "EXECBOX_MODE=kubernetes", "EXECBOX_NAMESPACE=execbox");
      assertThat(env).contains("MANAGEMENT_SERVER_PORT=9090");
      if (role.equals("operator")) {
        // where api replicas forward attach clients: this Pod's own address
        assertThat(env).contains("EXECBOX_ADVERTISE_ADDRESS=$(POD_IP):8080");
      }
      assertThat(find(docs, "PodDisruptionBudget", "sandbox-execbox-" + role)).isNotNull();
    }
    List<String> operator = rules(find(docs, "Role", "sandbox-execbox-operator"));
    assertThat(operator)
        .contains(
            "sessions/status:patch",
            "sessions/finalizers:update",
            "pods:create",
            "pods/attach:create",
            "pods/log:get",
            "secrets:create",
            "networkpolicies:create",
            "events:create",
            "leases:update");
    List<String> api = rules(find(docs, "Role", "sandbox-execbox-api"));
    assertThat(api).contains("sessions:create", "sessions:delete", "pods/log:get");
    assertThat(api)
        .noneMatch(
            r ->
                r.startsWith("secrets")
                    || r.startsWith("pods:create")
                    || r.startsWith("pods/attach"));
    assertThat(
            find(docs, "Secret", "sandbox-execbox-database")
                .path("stringData")
                .path("url")
                .asText())
        .startsWith("postgresql://");
    assertThat(docs).noneMatch(d -> "Ingress".equals(d.path("kind").asText()));
  }

  @Test
  void anIngressWhenAskedAndTheSchemaRefusesBadValues() {
    List<JsonNode> docs =
        parse(
            new Helm(CHART)
                .template()
                .withName("sandbox")
                .set("database.existingSecret", "db")
                .set("api.ingress.enabled", true)
                .set("api.ingress.host", "sandbox.example.org")
                .call());
    JsonNode ingress = find(docs, "Ingress", "sandbox-execbox-api");
    assertThat(ingress.path("spec").path("rules").get(0).path("host").asText())
        .isEqualTo("sandbox.example.org");
    assertThat(docs).noneMatch(d -> "Secret".equals(d.path("kind").asText()));

    assertThatThrownBy(
            () ->
                new Helm(CHART)
                    .template()
                    .set("database.url", "postgresql://x@y/z")
                    .set("sessions.cpuRequestPercent", 0)
                    .call())
        .hasMessageContaining("cpuRequestPercent");
    assertThatThrownBy(() -> new Helm(CHART).template().set("database.url", "mysql://x@y/z").call())
        .hasMessageContaining("url");
  }
}
