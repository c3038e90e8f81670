package io.execbox.operator.kubernetes;

import io.execbox.crds.Session;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Events a Session gets, for {@code kubectl describe}: its transitions and its problems. */
final class SessionEvents {
  private static final Logger log = LoggerFactory.getLogger(SessionEvents.class);

  static final String NORMAL = "Normal";
  static final String WARNING = "Warning";

  private final Clock clock;

  SessionEvents(Clock clock) {
    this.clock = clock;
  }

  /** The Event of the transition from {@code previous} to {@code now}, if it is one users seek. */
  void announce(
      KubernetesClient client, Session resource, SessionStatus previous, SessionStatus now) {
    SessionPhase before = previous == null ? null : previous.getPhase();
    if (before == now.getPhase()) {
      return;
    }
    switch (now.getPhase()) {
      case RUNNING -> record(client, resource, NORMAL, "Started", "the command is running");
      case STOPPED ->
          record(
              client,
              resource,
              NORMAL,
              "Exited",
              "exit code " + (now.getExitCode() == null ? "pending" : now.getExitCode()));
      case KILLED ->
          record(
              client,
              resource,
              NORMAL,
              "Killed",
              now.getReason() == null ? "killed" : now.getReason());
      case FAILED ->
          record(
              client,
              resource,
              WARNING,
              "Failed",
              now.getReason() == null ? "the session could not run" : now.getReason());
      default -> {}
    }
  }

  /** Records an Event on the resource; one that cannot be recorded is only logged. */
  void record(
      KubernetesClient client, Session resource, String type, String reason, String message) {
    try {
      String at = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
      client
          .v1()
          .events()
          .inNamespace(resource.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withGenerateName(resource.getMetadata().getName() + ".")
                  .withNamespace(resource.getMetadata().getNamespace())
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(resource.getApiVersion())
                          .withKind(resource.getKind())
                          .withName(resource.getMetadata().getName())
                          .withNamespace(resource.getMetadata().getNamespace())
                          .withUid(resource.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(at)
                  .withLastTimestamp(at)
                  .withCount(1)
                  .withNewSource("execbox-operator", null)
                  .build())
          .create();
    } catch (RuntimeException e) {
      log.debug(
          "event {} for {} not recorded: {}",
          reason,
          resource.getMetadata().getName(),
          e.toString());
    }
  }
}
