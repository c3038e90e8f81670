package io.execbox.machines.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.crds.Labels;
import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The kubelet's words, as the lifecycle reads them. */
class PodObservationsTest {
  static final String ID = "sess_0123456789abcdef01234567";

  static PodBuilder pod(String phase) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("sess-0123456789abcdef01234567")
        .withNamespace("execbox")
        .withUid("uid-1")
        .withLabels(Map.of(Labels.SESSION, ID))
        .endMetadata()
        .withNewStatus()
        .withPhase(phase)
        .endStatus();
  }

  static Pod withContainer(PodBuilder b, ContainerStateBuilder state) {
    return b.editStatus()
        .withContainerStatuses(
            new ContainerStatusBuilder()
                .withName(PodSpecs.CONTAINER)
                .withState(state.build())
                .build())
        .endStatus()
        .build();
  }

  @Test
  void pendingAndContainerCreatingAreStarting() {
    assertThat(PodObservations.observe(pod("Pending").build()).state())
        .isEqualTo(MachineState.STARTING);
    Pod creating =
        withContainer(
            pod("Pending"),
            new ContainerStateBuilder()
                .withNewWaiting()
                .withReason("ContainerCreating")
                .endWaiting());
    assertThat(PodObservations.observe(creating).state()).isEqualTo(MachineState.STARTING);
  }

  @Test
  void runningIsCreatedUntilTheCommandIsReleased() {
    ContainerStateBuilder running =
        new ContainerStateBuilder()
            .withNewRunning()
            .withStartedAt("2026-01-01T00:00:01Z")
            .endRunning();
    Observation gated = PodObservations.observe(withContainer(pod("Running"), running));
    assertThat(gated.state()).isEqualTo(MachineState.CREATED);
    assertThat(gated.ref().sessionId()).isEqualTo(ID);
    assertThat(gated.ref().machineId()).isEqualTo("uid-1");

    PodBuilder released = pod("Running");
    released
        .editMetadata()
        .addToAnnotations(PodSpecs.STARTED_ANNOTATION, "2026-01-01T00:00:01.250Z")
        .endMetadata();
    Observation obs = PodObservations.observe(withContainer(released, running));
    assertThat(obs.state()).isEqualTo(MachineState.RUNNING);
    assertThat(obs.startedAt()).isEqualTo(Instant.parse("2026-01-01T00:00:01.250Z"));
  }

  @Test
  void terminatedIsExitedWithItsCodeAndOomKilledIsKept() {
    Pod p =
        withContainer(
            pod("Failed"),
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(137)
                .withReason("OOMKilled")
                .withFinishedAt("2026-01-01T00:00:05Z")
                .endTerminated());
    Observation obs = PodObservations.observe(p);
    assertThat(obs.state()).isEqualTo(MachineState.EXITED);
    assertThat(obs.exitCode()).isEqualTo(137);
    assertThat(obs.oomKilled()).isTrue();
    assertThat(obs.finishedAt()).isEqualTo(Instant.parse("2026-01-01T00:00:05Z"));
  }

  @Test
  void deadlineExceededIsKilledEvenWhileTheContainerStillReadsRunning() {
    PodBuilder b = pod("Failed");
    b.editStatus().withReason("DeadlineExceeded").endStatus();
    Pod p = withContainer(b, new ContainerStateBuilder().withNewRunning().endRunning());
    Observation obs = PodObservations.observe(p);
    assertThat(obs.state()).isEqualTo(MachineState.EXITED);
    assertThat(obs.exitCode()).isEqualTo(137);
    assertThat(obs.reason()).isEqualTo("DeadlineExceeded");
  }

  @Test
  void imagesThatCannotBeHadAndUnschedulablePodsAreBroken() {
    for (String reason : PodObservations.CANNOT_START) {
      Pod p =
          withContainer(
              pod("Pending"),
              new ContainerStateBuilder()
                  .withNewWaiting()
                  .withReason(reason)
                  .withMessage("image x not present")
                  .endWaiting());
      Observation obs = PodObservations.observe(p);
      assertThat(obs.state()).as(reason).isEqualTo(MachineState.BROKEN);
      assertThat(obs.reason()).isEqualTo(reason + ": image x not present");
    }
    PodBuilder b = pod("Pending");
    b.editStatus()
        .withConditions(
            new PodConditionBuilder()
                .withType("PodScheduled")
                .withStatus("False")
                .withReason("Unschedulable")
                .withMessage("0/1 nodes are available: 1 Insufficient memory.")
                .build())
        .endStatus();
    Observation unschedulable = PodObservations.observe(b.build());
    assertThat(unschedulable.state()).isEqualTo(MachineState.BROKEN);
    assertThat(unschedulable.reason()).startsWith("Unschedulable: 0/1 nodes");
  }

  @Test
  void theGatesWordAndAStartErrorAreBrokenNotExited() {
    Pod notFound =
        withContainer(
            pod("Failed"),
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(127)
                .withReason("Error")
                .withMessage(PodSpecs.GATE_FAILURE + "command not found: /no/such")
                .endTerminated());
    Observation obs = PodObservations.observe(notFound);
    assertThat(obs.state()).isEqualTo(MachineState.BROKEN);
    assertThat(obs.reason()).isEqualTo("command not found: /no/such");

    Pod startError =
        withContainer(
            pod("Failed"),
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(128)
                .withReason("StartError")
                .withMessage("exec: \"/bin/sh\": stat /bin/sh: no such file or directory")
                .endTerminated());
    assertThat(PodObservations.observe(startError).state()).isEqualTo(MachineState.BROKEN);
  }

  @Test
  void anEndNeverPrecedesTheRecordedStart() {
    PodBuilder b = pod("Failed");
    b.editMetadata()
        .addToAnnotations(PodSpecs.STARTED_ANNOTATION, "2026-01-01T00:00:01.500Z")
        .endMetadata();
    Pod p =
        withContainer(
            b,
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(0)
                .withFinishedAt("2026-01-01T00:00:01Z")
                .endTerminated());
    Observation obs = PodObservations.observe(p);
    assertThat(obs.finishedAt()).isEqualTo(obs.startedAt());
  }
}
