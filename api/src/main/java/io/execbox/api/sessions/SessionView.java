package io.execbox.api.sessions;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.api.config.Times;
import io.execbox.crds.SessionSpec;
import io.execbox.store.SessionRow;
import io.swagger.v3.oas.annotations.media.Schema;

/** A session as the API shows it (docs/API.md); {@code reason} is an extension. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Session")
public record SessionView(
    @Schema(example = "sess_4f1c2a9b8d7e6f5a4b3c2d1e") String id,
    @Schema(allowableValues = {"pending", "running", "stopped", "killed", "failed"}) String status,
    String image,
    String createdAt,
    String startedAt,
    String endedAt,
    Integer exitCode,
    @Schema(description = "Why the session failed or was killed (extension)") String reason,
    @Schema(description = "mode, host and published ports") JsonNode network) {

  /** The view of a row: its recorded status, times and network, the mode from its spec. */
  static SessionView of(SessionRow r, ObjectMapper json) {
    JsonNode network = null;
    try {
      SessionSpec spec = json.readValue(r.specJson(), SessionSpec.class);
      ObjectNode n = JsonNodeFactory.instance.objectNode();
      if (r.networkJson() != null) {
        n = (ObjectNode) json.readTree(r.networkJson());
      }
      n.put("mode", spec.networkOrDefault().wire());
      network = n;
    } catch (JsonProcessingException e) {
      network = null;
    }
    return new SessionView(
        r.id(),
        r.status(),
        r.image(),
        Times.rfc3339(r.createdAt()),
        Times.rfc3339(r.startedAt()),
        Times.rfc3339(r.endedAt()),
        r.exitCode(),
        r.reason(),
        network);
  }
}
