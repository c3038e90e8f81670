package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the control plane observed of a session. Written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SessionStatus {
  @JsonPropertyDescription(
      "The session's id in the execbox API (GET /v1/sessions/{id}): from the name of a Session"
          + " named sess-<hex>, otherwise derived from the resource's uid.")
  private String sessionId;

  @JsonPropertyDescription("pending, running, stopped, killed or failed.")
  private SessionPhase phase;

  @JsonPropertyDescription(
      "Started (the command began) and Finished (the session ended), with reasons.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription(
      "Name of the machine (Pod, container or Fly Machine) running the session.")
  private String machineName;

  @JsonPropertyDescription("When the command started (RFC 3339).")
  private String startedAt;

  @JsonPropertyDescription("When the session ended (RFC 3339).")
  private String endedAt;

  @JsonPropertyDescription("Exit code of the command once it ended.")
  private Integer exitCode;

  @JsonPropertyDescription("Why the session failed or was killed.")
  private String reason;

  @JsonPropertyDescription("The spec generation this status describes.")
  private Long observedGeneration;

  public String getSessionId() {
    return sessionId;
  }

  public void setSessionId(String sessionId) {
    this.sessionId = sessionId;
  }

  public SessionPhase getPhase() {
    return phase;
  }

  public void setPhase(SessionPhase phase) {
    this.phase = phase;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getMachineName() {
    return machineName;
  }

  public void setMachineName(String machineName) {
    this.machineName = machineName;
  }

  public String getStartedAt() {
    return startedAt;
  }

  public void setStartedAt(String startedAt) {
    this.startedAt = startedAt;
  }

  public String getEndedAt() {
    return endedAt;
  }

  public void setEndedAt(String endedAt) {
    this.endedAt = endedAt;
  }

  public Integer getExitCode() {
    return exitCode;
  }

  public void setExitCode(Integer exitCode) {
    this.exitCode = exitCode;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }
}
