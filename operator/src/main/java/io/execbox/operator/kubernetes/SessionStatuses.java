package io.execbox.operator.kubernetes;

import io.execbox.crds.Conditions;
import io.execbox.crds.Rfc3339;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionStatus;
import io.execbox.store.SessionRow;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A Session resource's status, as a pure function of its row (which the lifecycle keeps): the
 * session id, the phase, the times, the exit code, the reason, and three conditions, {@code
 * Started}, {@code Finished} and {@code Reconciled}, whose transition times move only when their
 * status does (a failed step's {@code Reconciled} comes from {@link #stepFailed}).
 */
final class SessionStatuses {
  private SessionStatuses() {}

  static SessionStatus of(
      SessionRow row, String machineName, Long generation, SessionStatus previous, Instant now) {
    SessionPhase phase = SessionPhase.fromWire(row.status());
    SessionStatus s = new SessionStatus();
    s.setSessionId(row.id());
    s.setPhase(phase);
    s.setMachineName(machineName);
    s.setStartedAt(time(row.startedAt()));
    s.setEndedAt(phase.isTerminal() ? time(row.endedAt()) : null);
    s.setExitCode(row.exitCode());
    s.setReason(row.reason());
    s.setObservedGeneration(generation);
    List<Condition> conditions = new ArrayList<>();
    conditions.add(
        condition(
            previous,
            Conditions.STARTED,
            row.startedAt() != null,
            row.startedAt() != null
                ? Conditions.COMMAND_STARTED
                : phase == SessionPhase.FAILED ? Conditions.COULD_NOT_START : Conditions.PENDING,
            row.startedAt() != null ? null : row.reason(),
            generation,
            now));
    conditions.add(
        condition(
            previous,
            Conditions.FINISHED,
            phase.isTerminal(),
            capitalized(phase.wire()),
            finishedMessage(row, phase),
            generation,
            now));
    conditions.add(
        condition(
            previous,
            Conditions.RECONCILED,
            true,
            Conditions.STEP_SUCCEEDED,
            null,
            generation,
            now));
    s.setConditions(conditions);
    return s;
  }

  /**
   * The status after a failed step: as it was (a fresh pending one if none), with the session id
   * and {@code Reconciled} False, reason {@code StepFailed} and the failure as its message.
   */
  static SessionStatus stepFailed(
      SessionStatus previous, String sessionId, String message, Long generation, Instant now) {
    SessionStatus s = new SessionStatus();
    s.setSessionId(sessionId);
    List<Condition> conditions = new ArrayList<>();
    if (previous != null) {
      s.setPhase(previous.getPhase());
      s.setMachineName(previous.getMachineName());
      s.setStartedAt(previous.getStartedAt());
      s.setEndedAt(previous.getEndedAt());
      s.setExitCode(previous.getExitCode());
      s.setReason(previous.getReason());
      s.setObservedGeneration(previous.getObservedGeneration());
      if (previous.getConditions() != null) {
        previous.getConditions().stream()
            .filter(c -> !Conditions.RECONCILED.equals(c.getType()))
            .forEach(conditions::add);
      }
    } else {
      s.setPhase(SessionPhase.PENDING);
    }
    conditions.add(
        condition(
            previous,
            Conditions.RECONCILED,
            false,
            Conditions.STEP_FAILED,
            message,
            generation,
            now));
    s.setConditions(conditions);
    return s;
  }

  /** Whether two statuses say the same (conditions compared without their transition times). */
  static boolean same(SessionStatus a, SessionStatus b) {
    if (a == null || b == null) {
      return a == b;
    }
    return Objects.equals(a.getSessionId(), b.getSessionId())
        && a.getPhase() == b.getPhase()
        && Objects.equals(a.getMachineName(), b.getMachineName())
        && Objects.equals(a.getStartedAt(), b.getStartedAt())
        && Objects.equals(a.getEndedAt(), b.getEndedAt())
        && Objects.equals(a.getExitCode(), b.getExitCode())
        && Objects.equals(a.getReason(), b.getReason())
        && Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
        && conditionsSay(a).equals(conditionsSay(b));
  }

  private static List<String> conditionsSay(SessionStatus s) {
    List<String> out = new ArrayList<>();
    for (Condition c : s.getConditions() == null ? List.<Condition>of() : s.getConditions()) {
      out.add(c.getType() + "=" + c.getStatus() + "/" + c.getReason() + "/" + c.getMessage());
    }
    return out;
  }

  private static String finishedMessage(SessionRow row, SessionPhase phase) {
    if (!phase.isTerminal()) {
      return null;
    }
    if (phase == SessionPhase.FAILED) {
      return row.reason();
    }
    String code = row.exitCode() == null ? "not known yet" : String.valueOf(row.exitCode());
    return row.reason() == null ? "exit code " + code : "exit code " + code + ": " + row.reason();
  }

  private static Condition condition(
      SessionStatus previous,
      String type,
      boolean status,
      String reason,
      String message,
      Long generation,
      Instant now) {
    String value = status ? "True" : "False";
    String since = time(now);
    if (previous != null && previous.getConditions() != null) {
      for (Condition c : previous.getConditions()) {
        if (type.equals(c.getType()) && value.equals(c.getStatus())) {
          since = c.getLastTransitionTime();
        }
      }
    }
    return new ConditionBuilder()
        .withType(type)
        .withStatus(value)
        .withReason(reason)
        .withMessage(message == null ? "" : message)
        .withLastTransitionTime(since)
        .withObservedGeneration(generation)
        .build();
  }

  private static String capitalized(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  static String time(Instant t) {
    return Rfc3339.format(t);
  }
}
