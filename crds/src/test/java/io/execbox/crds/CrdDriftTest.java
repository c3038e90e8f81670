package io.execbox.crds;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The chart's CRD is the one generated from this module's model, byte for byte. Regenerate the copy
 * with {@code mvn -pl crds test -Dexecbox.crd.update=true} after changing the model.
 */
class CrdDriftTest {
  static final String FILE = "sessions.execbox.io-v1.yml";

  @Test
  void helmChartCarriesTheGeneratedCrd() throws Exception {
    Path generated = Path.of("target", "classes", "META-INF", "fabric8", FILE);
    Path committed = Path.of("..", "helm", "execbox", "crds", FILE);
    assertThat(generated).as("the crd-generator output").exists();
    String crd = Files.readString(generated);
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
        .contains("jsonPath: \".status.phase\"")
        .contains("jsonPath: \".status.exitCode\"")
        .contains("jsonPath: \".spec.image\"")
        .contains("jsonPath: \".metadata.creationTimestamp\"");
  }
}
