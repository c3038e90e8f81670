package io.execbox.api.sessions;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.crds.Rfc3339;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionSpec;
import io.execbox.store.SessionRow;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;
import java.util.List;
import java.util.Map;

/** A session as the API shows it (docs/API.md); {@code reason} is an extension. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Session")
public record SessionView(
    @Schema(
            example = "sess_4f1c2a9b8d7e6f5a4b3c2d1e",
            pattern = "^sess_[0-9a-f]{16,64}$",
            requiredMode = RequiredMode.REQUIRED)
        String id,
    @Schema(requiredMode = RequiredMode.REQUIRED) SessionPhase status,
    @Schema(example = "python:3.12", requiredMode = RequiredMode.REQUIRED) String image,
    @Schema(
            description = "RFC 3339, UTC, to the millisecond",
            example = "2026-01-02T03:04:05.123Z",
            requiredMode = RequiredMode.REQUIRED)
        String createdAt,
    @Schema(description = "When the command started") String startedAt,
    @Schema(description = "When the session reached its final status") String endedAt,
    @Schema(description = "The command's exit code, once it exited (137 after a kill)")
        Integer exitCode,
    @Schema(description = "Why the session failed or was killed (extension)") String reason,
    Network network,
    @Schema(
            description =
                "What this session's backend cannot give it, when something (extension): on"
                    + " kubernetes, an image's default command runs without the in-machine agent")
        List<String> notes) {

  /**
   * On the kubernetes backend a session without a {@code command} runs its image's default command,
   * whose entrypoint the control plane cannot know: not behind the agent, its output followed from
   * the Pod's log.
   */
  static final String DEFAULT_COMMAND_FROM_LOG =
      "the image's default command runs without the in-machine agent (give a command to get it):"
          + " its output is read from the Pod's log, stdout and stderr merged on stdout; a"
          + " containerd before 1.6.22/1.7.3 can cut its end short without any sign; stdin cannot"
          + " be half-closed and stop waits out the grace period";

  /** How the session reaches the network; {@code host} and {@code ports} once it is exposed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  @Schema(name = "SessionNetwork")
  public record Network(
      @Schema(
              allowableValues = {"none", "outgoing", "exposed"},
              requiredMode = RequiredMode.REQUIRED)
          String mode,
      @Schema(
              description = "Where the published ports are reached (exposed, once running)",
              example = "127.0.0.1")
          String host,
      @Schema(description = "The published ports, by container port number")
          Map<String, PublishedPort> ports) {}

  /** One published port. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @Schema(name = "PublishedPort")
  public record PublishedPort(
      @Schema(example = "32768", requiredMode = RequiredMode.REQUIRED) int hostPort,
      @Schema(example = "http://127.0.0.1:32768", requiredMode = RequiredMode.REQUIRED)
          String url) {}

  /** The view of a row: its recorded status, times and network, the mode from its spec. */
  static SessionView of(SessionRow r, ObjectMapper json) {
    Network network;
    List<String> notes = null;
    try {
      SessionSpec spec = json.readValue(r.specJson(), SessionSpec.class);
      String mode = spec.networkOrDefault().wire();
      if ("kubernetes".equals(r.backend())
          && (spec.getCommand() == null || spec.getCommand().isEmpty())) {
        notes = List.of(DEFAULT_COMMAND_FROM_LOG);
      }
      Network published =
          r.networkJson() == null ? null : json.readValue(r.networkJson(), Network.class);
      network =
          published == null
              ? new Network(mode, null, null)
              : new Network(mode, published.host(), published.ports());
    } catch (JsonProcessingException e) {
      network = null;
    }
    return new SessionView(
        r.id(),
        SessionPhase.fromWire(r.status()),
        r.image(),
        Rfc3339.format(r.createdAt()),
        Rfc3339.format(r.startedAt()),
        Rfc3339.format(r.endedAt()),
        r.exitCode(),
        r.reason(),
        network,
        notes);
  }
}
