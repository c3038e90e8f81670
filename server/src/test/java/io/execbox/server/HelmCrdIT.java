package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import io.execbox.crds.Session;
import io.execbox.machines.kubernetes.TestCluster;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code helm install} puts the Session CRD in place from the chart's {@code crds/}: the server
 * never installs it. Needs a cluster that has no Session CRD yet, as the fast tier's fresh API
 * server is when this class runs first there (alphabetical order; {@code
 * EXECBOX_REQUIRE_CRD_INSTALL} makes it fail there otherwise); on a cluster that has it already
 * Helm would leave it alone, so the test skips.
 */
class HelmCrdIT {
  @Test
  void helmInstallsTheSessionCrdFromTheChart() throws Exception {
    Path kubeconfig = TestCluster.kubeconfig();
    try (KubernetesClient kube = TestCluster.client()) {
      var crd =
          kube.apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName("sessions." + Session.GROUP);
      String already = "the cluster has the Session CRD already: Helm would not install it";
      if (System.getenv("EXECBOX_REQUIRE_CRD_INSTALL") != null) {
        assertThat(crd.get()).as(already).isNull(); // the fast tier's fresh API server
      } else {
        Assumptions.assumeTrue(crd.get() == null, already);
      }
      String ns = TestCluster.freshNamespace(kube, "execbox-crd");
      try {
        Release release =
            new Helm(HelmChartTest.CHART)
                .install()
                .withName("crd")
                .withNamespace(ns)
                .withKubeConfig(kubeconfig)
                .set("database.url", "postgresql://execbox@127.0.0.1:5432/execbox")
                .call();
        CustomResourceDefinition installed = crd.get();
        assertThat(installed).as("the CRD, installed by Helm").isNotNull();
        CustomResourceDefinition chart = TestServer.chartCrd(kube);
        assertThat(installed.getSpec().getNames().getShortNames()).containsExactly("sess");
        assertThat(installed.getSpec().getVersions().get(0).getSchema())
            .isEqualTo(chart.getSpec().getVersions().get(0).getSchema());
        assertThat(release.getOutput())
            .as("NOTES.txt")
            .contains("kubectl -n " + ns + " get sessions")
            .contains("port-forward svc/crd-execbox-api");
      } finally {
        try {
          Helm.uninstall("crd").withKubeConfig(kubeconfig).withNamespace(ns).call();
        } catch (RuntimeException e) {
          // the namespace goes anyway
        }
        TestCluster.deleteNamespace(kube, ns);
      }
    }
  }
}
