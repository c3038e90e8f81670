package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The README's table of variables ("Running the jar") against the configuration tree, as the
 * configuration processor described it in {@code spring-configuration-metadata.json}: every setting
 * is in the table with its default, and the table names no setting that does not exist.
 */
class ConfigurationReferenceTest {
  static final Path README = Path.of("..", "README.md");

  /** In the table but read outside the tree, by their own readers. */
  static final Set<String> NOT_IN_THE_TREE =
      Set.of(
          "SERVER_PORT", // Spring Boot's server.port
          "SERVER_ADDRESS", // Spring Boot's server.address
          "MANAGEMENT_SERVER_PORT", // Spring Boot's management.server.port
          "MANAGEMENT_SERVER_ADDRESS", // Spring Boot's management.server.address
          "KUBECONFIG", // the Kubernetes client's
          "EXECBOX_LOG_FORMAT"); // read by main before logging starts, so not a Spring setting

  /** A table row: its variables and its default cell. */
  record Row(List<String> variables, String defaults) {}

  static List<Row> readmeTable() throws IOException {
    List<String> lines = Files.readAllLines(README);
    int header = lines.indexOf("| variable | meaning | default |");
    assertThat(header).as("the README's table of variables").isPositive();
    List<Row> rows = new ArrayList<>();
    Pattern variable = Pattern.compile("`([A-Z][A-Z0-9_]*)`");
    for (String line : lines.subList(header + 2, lines.size())) {
      if (!line.startsWith("|")) {
        break;
      }
      String[] cells = line.split("(?<!\\\\)\\|");
      List<String> names = new ArrayList<>();
      Matcher m = variable.matcher(cells[1]);
      while (m.find()) {
        names.add(m.group(1));
      }
      assertThat(names).as("variables named in: %s", line).isNotEmpty();
      rows.add(new Row(names, cells[3]));
    }
    return rows;
  }

  /** Each key of the metadata, as its environment variable, with its default if it has one. */
  static Map<String, String> metadata() throws IOException {
    JsonNode json;
    try (InputStream in =
        ConfigurationReferenceTest.class.getResourceAsStream(
            "/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("metadata written by spring-boot-configuration-processor").isNotNull();
      json = new ObjectMapper().readTree(in);
    }
    Map<String, String> keys = new LinkedHashMap<>();
    for (JsonNode p : json.path("properties")) {
      assertThat(p.path("description").asText())
          .as("description of %s", p.path("name").asText())
          .isNotBlank();
      JsonNode d = p.path("defaultValue");
      String defaults =
          d.isMissingNode()
              ? null
              : d.isArray()
                  ? StreamSupport.stream(d.spliterator(), false)
                      .map(JsonNode::asText)
                      .collect(Collectors.joining(","))
                  : d.asText();
      keys.put(Checks.variable(p.path("name").asText()), defaults);
    }
    return keys;
  }

  @Test
  void theTableNamesEverySettingAndNothingElse() throws IOException {
    Set<String> documented = new TreeSet<>();
    readmeTable().forEach(r -> documented.addAll(r.variables()));
    Set<String> settings = new TreeSet<>(metadata().keySet());
    settings.addAll(NOT_IN_THE_TREE);

    Set<String> missing = new TreeSet<>(settings);
    missing.removeAll(documented);
    Set<String> stale = new TreeSet<>(documented);
    stale.removeAll(settings);
    SoftAssertions.assertSoftly(
        softly -> {
          softly.assertThat(missing).as("settings missing from the README's table").isEmpty();
          softly
              .assertThat(stale)
              .as("variables in the README's table that nothing reads")
              .isEmpty();
        });
  }

  @Test
  void theTableGivesEachDefault() throws IOException {
    Map<String, String> defaults = metadata();
    for (Row row : readmeTable()) {
      for (String v : row.variables()) {
        String d = defaults.get(v);
        if (d != null) {
          assertThat(row.defaults()).as("README default of %s", v).contains("`" + d + "`");
        }
      }
    }
  }

  /** The chart sets its settings by the names the tree binds, with values it accepts. */
  @Test
  void theChartsEnvironmentIsMadeOfSettings() throws IOException {
    List<JsonNode> docs =
        HelmChartTest.parse(
            new Helm(HelmChartTest.CHART)
                .template()
                .withName("sandbox")
                .withNamespace("execbox")
                .set("database.url", "postgresql://execbox:secret@db:5432/execbox")
                .set("sessions.runAsUser", "1000")
                .call());
    Set<String> known = new TreeSet<>(metadata().keySet());
    known.addAll(NOT_IN_THE_TREE);
    int containers = 0;
    for (JsonNode doc : docs) {
      for (JsonNode c : doc.path("spec").path("template").path("spec").path("containers")) {
        containers++;
        Map<String, Object> env = new LinkedHashMap<>();
        for (JsonNode e : c.path("env")) {
          String name = e.path("name").asText();
          if (name.startsWith("EXECBOX_")
              || name.startsWith("SERVER_")
              || name.startsWith("MANAGEMENT_")) {
            assertThat(known).as("a setting the chart sets").contains(name);
          }
          // secret references are not resolved here; give them a value the tree accepts
          env.put(
              name,
              e.has("value")
                  ? e.path("value").asText().replace("$(POD_IP)", "10.0.0.1")
                  : "postgresql://u:p@db:5432/execbox");
        }
        ExecboxProperties p = ConfigurationTreeTest.bind(env);
        assertThat(p.kubernetes().runAsUser()).isEqualTo(1000L);
      }
    }
    assertThat(containers).as("the api and operator containers").isEqualTo(2);
  }
}
