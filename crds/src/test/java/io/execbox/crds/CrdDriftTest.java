package io.execbox.crds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart's CRD is the one generated from this module's model, with its printer columns in the
 * order {@link Session} declares them (the generator sorts them by JSON path, which would show Age
 * first). Regenerate the copy with {@code mvn -pl crds test -Dexecbox.crd.update=true} after
 * changing the model.
 */
class CrdDriftTest {
  static final String FILE = "sessions.execbox.io-v1.yml";
  private static final String COLUMNS = "  - additionalPrinterColumns:";
  private static final String ITEM = "    - ";
  private static final String ITEM_LINE = "      ";

  /** The generated CRD with its printer columns in declaration order. */
  static String ordered(String crd) {
    List<String> lines = new ArrayList<>(crd.lines().toList());
    int start = lines.indexOf(COLUMNS) + 1;
    assertThat(start).as("the generated CRD has printer columns").isPositive();
    Map<String, List<String>> items = new LinkedHashMap<>();
    int end = start;
    List<String> item = null;
    while (end < lines.size()
        && (lines.get(end).startsWith(ITEM) || lines.get(end).startsWith(ITEM_LINE))) {
      String line = lines.get(end);
      if (line.startsWith(ITEM)) {
        item = new ArrayList<>();
        items.put(line, item);
      }
      item.add(line);
      end++;
    }
    List<String> sorted = new ArrayList<>();
    for (AdditionalPrinterColumn c :
        Session.class.getAnnotationsByType(AdditionalPrinterColumn.class)) {
      String name = "      name: \"" + c.name() + "\"";
      List<String> found =
          items.values().stream().filter(i -> i.contains(name)).findFirst().orElseThrow();
      sorted.addAll(found);
    }
    assertThat(sorted).as("every generated column is declared").hasSize(end - start);
    List<String> out = new ArrayList<>(lines.subList(0, start));
    out.addAll(sorted);
    out.addAll(lines.subList(end, lines.size()));
    return String.join("\n", out) + "\n";
  }

  @Test
  void helmChartCarriesTheGeneratedCrd() throws Exception {
    Path generated = Path.of("target", "classes", "META-INF", "fabric8", FILE);
    Path committed = Path.of("..", "helm", "execbox", "crds", FILE);
    assertThat(generated).as("the crd-generator output").exists();
    String crd = ordered(Files.readString(generated));
    if (Boolean.getBoolean("execbox.crd.update")) {
      Files.createDirectories(committed.getParent());
      Files.writeString(committed, crd);
    }
    assertThat(committed)
        .as(
            "helm/execbox/crds/%s drifted from the model; run mvn -pl crds test -Dexecbox.crd.update=true",
            FILE)
        .exists();
    assertThat(Files.readString(committed)).isEqualTo(crd);
  }

  @Test
  void crdDocumentsFieldsValidatesRangesAndPrintsColumns() throws Exception {
    String crd = Files.readString(Path.of("target", "classes", "META-INF", "fabric8", FILE));
    assertThat(crd)
        .contains("name: \"sessions.execbox.io\"")
        .contains("- \"sess\"")
        .contains("scope: \"Namespaced\"")
        .contains("Memory limit in MiB")
        .contains("maximum: 8192.0")
        .contains("minimum: 128.0")
        .contains("- \"image\"")
        .contains("jsonPath: \".status.sessionId\"")
        .contains("jsonPath: \".status.phase\"")
        .contains("jsonPath: \".status.exitCode\"")
        .contains("jsonPath: \".spec.image\"")
        .contains("jsonPath: \".metadata.creationTimestamp\"");
  }

  @Test
  void kubectlShowsSessionStatusExitImageAgeInThatOrder() throws Exception {
    String crd = Files.readString(Path.of("..", "helm", "execbox", "crds", FILE));
    List<String> names =
        crd.lines()
            .filter(l -> l.startsWith("      name: \""))
            .map(l -> l.substring(l.indexOf('"') + 1, l.length() - 1))
            .toList();
    assertThat(names).containsExactly("Session", "Status", "Exit", "Image", "Age");
  }

  @Test
  void everyFieldIsDocumented() throws Exception {
    JsonNode crd =
        new ObjectMapper(new YAMLFactory())
            .readTree(Path.of("..", "helm", "execbox", "crds", FILE).toFile());
    JsonNode schema = crd.at("/spec/versions/0/schema/openAPIV3Schema");
    List<String> undocumented = new ArrayList<>();
    undocumented(schema, "", undocumented);
    assertThat(undocumented).as("properties without a description").isEmpty();
    assertThat(schema.at("/properties/status/properties/conditions/items/properties/reason"))
        .as("conditions are documented field by field")
        .isNotEmpty();
  }

  private static void undocumented(JsonNode node, String path, List<String> out) {
    node.path("properties")
        .fields()
        .forEachRemaining(
            e -> {
              String at = path + "." + e.getKey();
              if (!path.equals(".metadata")
                  && !e.getValue().hasNonNull("description")
                  && !at.equals(".apiVersion")
                  && !at.equals(".kind")
                  && !at.equals(".metadata")) {
                out.add(at);
              }
              undocumented(e.getValue(), at, out);
            });
    if (node.has("items")) {
      undocumented(node.get("items"), path + "[]", out);
    }
  }
}
