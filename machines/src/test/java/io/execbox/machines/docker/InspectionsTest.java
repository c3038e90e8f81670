package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.execbox.machines.PublishedPort;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class InspectionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SESSION = "sess_0123456789abcdef01234567";
  private static final String NEVER = "0001-01-01T00:00:00Z";

  private static JsonNode container(String state, String ports) throws Exception {
    return JSON.readTree(
        "{\"Id\":\"abc123\",\"Name\":\"execbox-sess-0123456789abcdef01234567\",\"State\":"
            + state
            + ",\"NetworkSettings\":{\"Ports\":"
            + ports
            + "}}");
  }

  private static String state(
      String status, int exit, boolean oom, String error, String started, String finished) {
    return String.format(
        "{\"Status\":\"%s\",\"ExitCode\":%d,\"OOMKilled\":%b,\"Error\":\"%s\",\"StartedAt\":\"%s\",\"FinishedAt\":\"%s\"}",
        status, exit, oom, error, started, finished);
  }

  private static Observation observe(String state) throws Exception {
    return Inspections.observe(SESSION, container(state, "{}"), "127.0.0.1");
  }

  @Test
  void createdHasNoTimesAndNoExitCode() throws Exception {
    Observation o = observe(state("created", 0, false, "", NEVER, NEVER));
    assertThat(o.state()).isEqualTo(MachineState.CREATED);
    assertThat(o.ref().machineId()).isEqualTo("abc123");
    assertThat(o.ref().name()).isEqualTo("execbox-sess-0123456789abcdef01234567");
    assertThat(o.ref().sessionId()).isEqualTo(SESSION);
    assertThat(o.exitCode()).isNull();
    assertThat(o.startedAt()).isNull();
    assertThat(o.finishedAt()).isNull();
  }

  @Test
  void runningHasAStartButNoEnd() throws Exception {
    Observation o =
        observe(state("running", 0, false, "", "2026-11-25T12:20:42.648771231Z", NEVER));
    assertThat(o.state()).isEqualTo(MachineState.RUNNING);
    assertThat(o.startedAt()).isEqualTo(Instant.parse("2026-11-25T12:20:42.648771231Z"));
    assertThat(o.finishedAt()).isNull();
    assertThat(o.exitCode()).isNull();
  }

  @Test
  void exitedCarriesCodeOomAndFinish() throws Exception {
    Observation o =
        observe(
            state("exited", 137, true, "", "2026-11-25T12:20:42Z", "2026-11-25T12:20:43.5+01:00"));
    assertThat(o.state()).isEqualTo(MachineState.EXITED);
    assertThat(o.exitCode()).isEqualTo(137);
    assertThat(o.oomKilled()).isTrue();
    assertThat(o.reason()).isEqualTo("OOMKilled");
    assertThat(o.finishedAt()).isEqualTo(Instant.parse("2026-11-25T11:20:43.5Z"));
  }

  @Test
  void pausedAndRestartingCountAsRunning() {
    assertThat(Inspections.state("paused")).isEqualTo(MachineState.RUNNING);
    assertThat(Inspections.state("restarting")).isEqualTo(MachineState.RUNNING);
    assertThat(Inspections.state("stopped")).isEqualTo(MachineState.EXITED);
    assertThat(Inspections.state("dead")).isEqualTo(MachineState.BROKEN);
  }

  @Test
  void anErrorOrDeadIsBrokenWithAReason() throws Exception {
    Observation err =
        observe(
            state(
                "exited",
                127,
                false,
                "exec: \\\"nope\\\": not found",
                "2026-11-25T12:00:00Z",
                "2026-11-25T12:00:00Z"));
    assertThat(err.state()).isEqualTo(MachineState.BROKEN);
    assertThat(err.reason()).isEqualTo("exec: \"nope\": not found");
    Observation dead =
        observe(state("dead", 1, false, "", "2026-11-25T12:00:00Z", "2026-11-25T12:00:01Z"));
    assertThat(dead.state()).isEqualTo(MachineState.BROKEN);
    assertThat(dead.reason()).contains("dead");
  }

  @Test
  void aReinitializedContainerIsBrokenNotCreated() throws Exception {
    // What Podman shows after an attach to an exited container: "created" again, exit code 0.
    Observation o =
        observe(
            state("created", 0, false, "", "2026-11-25T12:37:09.471Z", "2026-11-25T12:37:09.468Z"));
    assertThat(o.state()).isEqualTo(MachineState.BROKEN);
    assertThat(o.reason()).contains("exit code is lost");
  }

  @Test
  void publishedPortsTakeTheFirstBindingOfEachPort() throws Exception {
    JsonNode c =
        container(
            state("running", 0, false, "", "2026-11-25T12:00:00Z", NEVER),
            "{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"43319\"},{\"HostIp\":\"::1\",\"HostPort\":\"43319\"}],"
                + "\"53/udp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"40000\"}],"
                + "\"9000/tcp\":null}");
    assertThat(Inspections.observe(SESSION, c, "127.0.0.1").ports())
        .containsExactly(
            new PublishedPort(53, "udp", "127.0.0.1", 40000),
            new PublishedPort(8080, "tcp", "127.0.0.1", 43319));
  }

  @Test
  void listItemsBecomeSummaries() throws Exception {
    JsonNode item =
        JSON.readTree(
            "{\"Id\":\"abc\",\"State\":\"exited\",\"Labels\":{\"io.execbox.managed\":\"true\","
                + "\"io.execbox.session\":\""
                + SESSION
                + "\",\"io.execbox.owner\":\"acct_1\"}}");
    var s = Inspections.summary(item);
    assertThat(s.machineId()).isEqualTo("abc");
    assertThat(s.sessionId()).isEqualTo(SESSION);
    assertThat(s.ownerId()).isEqualTo("acct_1");
    assertThat(s.state()).isEqualTo(MachineState.EXITED);
  }

  @Test
  void timesOfYearOneAndGarbageAreNull() {
    assertThat(Inspections.time(NEVER)).isNull();
    assertThat(Inspections.time("")).isNull();
    assertThat(Inspections.time(null)).isNull();
    assertThat(Inspections.time("yesterday")).isNull();
  }
}
