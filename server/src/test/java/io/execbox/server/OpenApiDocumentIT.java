package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document the server serves is the one committed as docs/openapi.json, so that a
 * change to the API shows in review as a change to the document, and a client can be generated from
 * the repository alone. {@code servers} is left out of both: the server fills it in from each
 * request's own address.
 */
class OpenApiDocumentIT {
  static final Path COMMITTED = Path.of("..", "docs", "openapi.json");
  static final String WRITE = "execbox.openapi.write";
  static final String REGENERATE =
      "mvn -pl server -am verify -Dit.test=OpenApiDocumentIT -Dtest=none"
          + " -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false"
          + " -D"
          + WRITE
          + "=true";
  static final ObjectMapper JSON = new ObjectMapper();

  TestServer server = TestServer.shared();

  JsonNode served() {
    Client.Response r = Client.raw(server.baseUrl(), "GET", "/openapi.json", null, null);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    ObjectNode doc = (ObjectNode) r.json();
    doc.remove("servers");
    return doc;
  }

  @Test
  void theServedDocumentIsTheCommittedOne() throws IOException {
    JsonNode served = served();
    if (Boolean.getBoolean(WRITE)) {
      write(served);
      return;
    }
    assertThat(COMMITTED).as("the committed document; create it with: " + REGENERATE).exists();
    JsonNode committed = JSON.readTree(COMMITTED.toFile());
    List<String> differences = new ArrayList<>();
    diff("", committed, served, differences);
    assertThat(differences)
        .as(
            "the served OpenAPI document differs from %s at these places (committed -> served)."
                + " If the change is meant, regenerate the file and commit it: %s",
            COMMITTED.normalize(), REGENERATE)
        .isEmpty();
  }

  @Test
  void theYamlDocumentSaysTheSame() throws IOException {
    Client.Response yaml = Client.raw(server.baseUrl(), "GET", "/openapi.yaml", null, null);
    assertThat(yaml.status()).isEqualTo(200);
    ObjectNode doc = (ObjectNode) new YAMLMapper().readTree(yaml.text());
    doc.remove("servers");
    assertThat(doc).isEqualTo(served());
  }

  /** What a generated client needs, checked on the document itself rather than by eye. */
  @Test
  void everyOperationHasAStableIdAResourceTagTypedParametersAndItsProblems() {
    JsonNode doc = served();
    List<String> ids = new ArrayList<>();
    doc.get("paths")
        .fields()
        .forEachRemaining(
            path ->
                path.getValue()
                    .fields()
                    .forEachRemaining(
                        op -> {
                          String at = op.getKey() + " " + path.getKey();
                          JsonNode o = op.getValue();
                          String id = o.path("operationId").asText();
                          assertThat(id).as(at).matches("[a-z][A-Za-z]+");
                          ids.add(id);
                          assertThat(o.get("tags")).as(at).hasSize(1);
                          assertThat(o.get("tags").get(0).asText())
                              .as(at)
                              .isIn("Sessions", "Account", "Keys", "Admin", "Health");
                          for (JsonNode p : o.path("parameters")) {
                            assertThat(p.path("schema").has("type") || p.path("schema").has("$ref"))
                                .as(at + " parameter " + p.get("name"))
                                .isTrue();
                          }
                          o.get("responses")
                              .fields()
                              .forEachRemaining(
                                  r -> {
                                    if (r.getKey().startsWith("4")) {
                                      assertThat(
                                              r.getValue()
                                                  .path("content")
                                                  .path("application/problem+json")
                                                  .path("schema")
                                                  .path("$ref")
                                                  .asText())
                                          .as(at + " " + r.getKey())
                                          .isEqualTo("#/components/schemas/Problem");
                                    }
                                  });
                          if (path.getKey().startsWith("/v1/")) {
                            assertThat(o.get("responses").has("401")).as(at).isTrue();
                            assertThat(o.get("responses").has("429")).as(at).isTrue();
                          }
                        }));
    assertThat(ids).doesNotHaveDuplicates().hasSize(13);
    assertThat(doc.get("components").get("schemas").fieldNames())
        .toIterable()
        .doesNotContain("JsonNode")
        .contains("Problem", "FieldError", "Session", "SessionNetwork");
    assertThat(doc.get("paths").get("/v1/sessions").get("get").get("parameters"))
        .filteredOn(p -> p.get("name").asText().equals("limit"))
        .singleElement()
        .satisfies(p -> assertThat(p.get("schema").get("type").asText()).isEqualTo("integer"));
  }

  /** Pretty, with keys sorted, so that a regenerated file differs only where the API did. */
  static void write(JsonNode doc) throws IOException {
    ObjectMapper sorted =
        new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    Object tree = sorted.treeToValue(doc, Object.class);
    Files.writeString(COMMITTED, sorted.writeValueAsString(tree) + "\n");
  }

  /** The JSON pointers at which {@code a} and {@code b} differ (object keys in any order). */
  static void diff(String at, JsonNode a, JsonNode b, List<String> out) {
    if (a.equals(b)) {
      return;
    }
    if (a.isObject() && b.isObject()) {
      TreeSet<String> keys = new TreeSet<>();
      a.fieldNames().forEachRemaining(keys::add);
      b.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        String p = at + "/" + k.replace("~", "~0").replace("/", "~1");
        if (!a.has(k)) {
          out.add(p + ": added");
        } else if (!b.has(k)) {
          out.add(p + ": removed");
        } else {
          diff(p, a.get(k), b.get(k), out);
        }
      }
    } else if (a.isArray() && b.isArray() && a.size() == b.size()) {
      for (int i = 0; i < a.size(); i++) {
        diff(at + "/" + i, a.get(i), b.get(i), out);
      }
    } else {
      out.add(at + ": " + abbreviate(a) + " -> " + abbreviate(b));
    }
  }

  private static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() > 120 ? s.substring(0, 120) + "…" : s;
  }
}
