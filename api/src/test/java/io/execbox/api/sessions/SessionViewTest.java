package io.execbox.api.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.store.SessionRow;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a client reads for a session, a page of sessions and a stop or delete. */
class SessionViewTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String ID = "sess_0123456789abcdef01234567";
  static final Instant CREATED = Instant.parse("2026-01-02T03:04:05.123456Z");

  static SessionRow row(
      String status,
      String specJson,
      String networkJson,
      Instant startedAt,
      Instant endedAt,
      Integer exitCode,
      String reason) {
    return row("docker", status, specJson, networkJson, startedAt, endedAt, exitCode, reason);
  }

  static SessionRow row(
      String backend,
      String status,
      String specJson,
      String networkJson,
      Instant startedAt,
      Instant endedAt,
      Integer exitCode,
      String reason) {
    return new SessionRow(
        ID,
        "acct_1",
        status,
        specJson,
        "busybox",
        backend,
        null,
        CREATED,
        CREATED.plusSeconds(300),
        startedAt,
        endedAt,
        exitCode,
        reason,
        networkJson,
        null,
        null,
        null,
        0,
        false,
        0,
        null,
        null,
        null,
        null,
        null);
  }

  static JsonNode rendered(Object view) {
    return JSON.valueToTree(view);
  }

  static JsonNode json(String s) throws Exception {
    return JSON.readTree(s.replace('\'', '"'));
  }

  @Test
  void aPendingSessionShowsNoStartEndOrExitAndTheDefaultNetworkMode() throws Exception {
    SessionView v =
        SessionView.of(
            row("pending", "{\"image\":\"busybox\"}", null, null, null, null, null), JSON);
    assertThat(rendered(v))
        .isEqualTo(
            json(
                "{'id':'"
                    + ID
                    + "','status':'pending','image':'busybox',"
                    + "'createdAt':'2026-01-02T03:04:05.123Z','network':{'mode':'outgoing'}}"));
  }

  @Test
  void onKubernetesAnImagesDefaultCommandSaysItRunsWithoutTheAgent() {
    String noCommand = "{\"image\":\"busybox\"}";
    String command = "{\"image\":\"busybox\",\"command\":[\"true\"]}";
    JsonNode k8s =
        rendered(
            SessionView.of(
                row("kubernetes", "running", noCommand, null, null, null, null, null), JSON));
    assertThat(k8s.path("notes").get(0).asText()).startsWith("the image's default command runs");
    assertThat(
            rendered(
                    SessionView.of(
                        row("kubernetes", "running", command, null, null, null, null, null), JSON))
                .has("notes"))
        .as("behind the agent")
        .isFalse();
    assertThat(
            rendered(
                    SessionView.of(
                        row("docker", "running", noCommand, null, null, null, null, null), JSON))
                .has("notes"))
        .as("docker knows the image's entrypoint")
        .isFalse();
  }

  @Test
  void timesAreUtcCutToMillisecondsAndAWholeSecondHasNoFraction() {
    SessionView v =
        SessionView.of(
            row(
                "stopped",
                "{\"image\":\"busybox\",\"network\":\"none\"}",
                null,
                Instant.parse("2026-01-02T03:04:06Z"),
                Instant.parse("2026-01-02T03:04:07.000999Z"),
                0,
                null),
            JSON);
    assertThat(v.createdAt()).isEqualTo("2026-01-02T03:04:05.123Z");
    assertThat(v.startedAt()).isEqualTo("2026-01-02T03:04:06Z");
    assertThat(v.endedAt()).isEqualTo("2026-01-02T03:04:07Z");
    assertThat(v.exitCode()).isZero();
    assertThat(rendered(v).get("network")).isEqualTo(JSON.createObjectNode().put("mode", "none"));
  }

  @Test
  void anExposedSessionShowsItsHostAndPublishedPortsOnceRunning() throws Exception {
    String spec =
        "{\"image\":\"busybox\",\"network\":\"exposed\",\"ports\":[{\"container\":8080}]}";
    String published =
        "{\"mode\":\"exposed\",\"host\":\"127.0.0.1\",\"ports\":"
            + "{\"8080\":{\"hostPort\":32768,\"url\":\"http://127.0.0.1:32768\"}}}";
    SessionView running =
        SessionView.of(row("running", spec, published, CREATED, null, null, null), JSON);
    assertThat(rendered(running).get("network"))
        .isEqualTo(
            json(
                "{'mode':'exposed','host':'127.0.0.1','ports':"
                    + "{'8080':{'hostPort':32768,'url':'http://127.0.0.1:32768'}}}"));
    SessionView pending = SessionView.of(row("pending", spec, null, null, null, null, null), JSON);
    assertThat(rendered(pending).get("network")).isEqualTo(json("{'mode':'exposed'}"));
  }

  @Test
  void theModeComesFromTheSpecWhateverTheRecordedNetworkSays() throws Exception {
    SessionView v =
        SessionView.of(
            row(
                "running",
                "{\"image\":\"busybox\",\"network\":\"exposed\"}",
                "{\"mode\":\"outgoing\",\"host\":\"h\",\"ports\":{}}",
                CREATED,
                null,
                null,
                null),
            JSON);
    assertThat(rendered(v).get("network"))
        .isEqualTo(json("{'mode':'exposed','host':'h','ports':{}}"));
  }

  @Test
  void aFailedOrKilledSessionShowsItsReasonAndAKilledOneItsExitCode() {
    SessionView failed =
        SessionView.of(
            row(
                "failed",
                "{\"image\":\"nope\"}",
                null,
                null,
                CREATED,
                null,
                "image not found: nope"),
            JSON);
    assertThat(rendered(failed).has("exitCode")).isFalse();
    assertThat(rendered(failed).get("reason").asText()).isEqualTo("image not found: nope");
    SessionView killed =
        SessionView.of(
            row("killed", "{\"image\":\"busybox\"}", null, CREATED, CREATED, 137, "deadline"),
            JSON);
    assertThat(rendered(killed).get("exitCode").asInt()).isEqualTo(137);
    assertThat(rendered(killed).get("status").asText()).isEqualTo("killed");
  }

  @Test
  void aSpecThatCannotBeReadLeavesTheNetworkOutRatherThanFailTheRequest() {
    SessionView v =
        SessionView.of(row("running", "not json", null, CREATED, null, null, null), JSON);
    assertThat(rendered(v).has("network")).isFalse();
    assertThat(v.id()).isEqualTo(ID);
  }

  @Test
  void aPageHasNextCursorOnlyWhenThereIsMore() throws Exception {
    SessionView v =
        SessionView.of(
            row("pending", "{\"image\":\"busybox\"}", null, null, null, null, null), JSON);
    assertThat(rendered(new SessionList(List.of(), null))).isEqualTo(json("{'sessions':[]}"));
    JsonNode page = rendered(new SessionList(List.of(v), "abc"));
    assertThat(page.get("nextCursor").asText()).isEqualTo("abc");
    assertThat(page.get("sessions").get(0).get("id").asText()).isEqualTo(ID);
  }

  @Test
  void stopAndDeleteAnswerTheStatusAlone() throws Exception {
    assertThat(rendered(new StatusView(io.execbox.crds.SessionPhase.STOPPED)))
        .isEqualTo(json("{'status':'stopped'}"));
  }
}
