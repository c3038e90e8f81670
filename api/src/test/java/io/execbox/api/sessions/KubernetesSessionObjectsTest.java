package io.execbox.api.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.api.problem.ApiException;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class KubernetesSessionObjectsTest {
  static KubernetesClientException refusal(int code, Status status) {
    return new KubernetesClientException(status.getMessage(), code, status);
  }

  @Test
  void aSessionTheSchemaRefusesIsTheClientsBadInputNamingItsFields() {
    Status invalid =
        new StatusBuilder()
            .withCode(422)
            .withReason("Invalid")
            .withMessage("Session.execbox.io \"sess-01\" is invalid")
            .withNewDetails()
            .addNewCause()
            .withField("spec.files[0].path")
            .withMessage("Invalid value: \"/a\\nb\": spec.files[0].path in body should match")
            .endCause()
            .endDetails()
            .build();
    ApiException e = KubernetesSessionObjects.refused("create it", refusal(422, invalid));
    assertThat(e.status()).isEqualTo(HttpStatus.UNPROCESSABLE_ENTITY);
    assertThat(e.errors())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.location()).isEqualTo("body.files[0].path");
              assertThat(f.message()).startsWith("the cluster refused it: Invalid value");
            });
  }

  @Test
  void aRefusalWithoutCausesStillSaysWhy() {
    Status bad = new StatusBuilder().withCode(400).withMessage("bad request body").build();
    ApiException e = KubernetesSessionObjects.refused("create it", refusal(400, bad));
    assertThat(e.status()).isEqualTo(HttpStatus.UNPROCESSABLE_ENTITY);
    assertThat(e.errors())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.location()).isEqualTo("body");
              assertThat(f.message()).contains("bad request body");
            });
  }

  @Test
  void anythingElseIsAnOutageToRetry() {
    Status down = new StatusBuilder().withCode(500).withMessage("etcd timed out").build();
    ApiException e = KubernetesSessionObjects.refused("create it", refusal(500, down));
    assertThat(e.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(e.getMessage()).isEqualTo("cannot create it: etcd timed out");
    assertThat(e.retryAfterSeconds()).isNotNull();
  }

  static io.execbox.store.SessionRow row(String id, String namespace, String name) {
    java.time.Instant t = java.time.Instant.parse("2026-12-02T10:00:00Z");
    return new io.execbox.store.SessionRow(
        id,
        "acct_1",
        "running",
        "{}",
        "busybox",
        "kubernetes",
        null,
        t,
        t.plusSeconds(60),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        0,
        false,
        0,
        null,
        null,
        null,
        namespace,
        name);
  }

  @Test
  void stopAndDeleteReachTheResourceByTheNameItsRowRecordsElseByTheApisOwnName() {
    KubernetesSessionObjects objects =
        new KubernetesSessionObjects(null, "home", java.time.Clock.systemUTC());
    // written by the API: sess-<hex> in the installation's namespace
    var api = row("sess_0123456789abcdef01234567", null, null);
    assertThat(KubernetesSessionObjects.nameOf(api)).isEqualTo("sess-0123456789abcdef01234567");
    assertThat(objects.namespaceOf(api)).isEqualTo("home");
    // applied with kubectl under a name of its user's choosing, in another namespace
    var applied = row("sess_89abcdef0123456789abcdef", "team-a", "hello");
    assertThat(KubernetesSessionObjects.nameOf(applied)).isEqualTo("hello");
    assertThat(objects.namespaceOf(applied)).isEqualTo("team-a");
  }
}
