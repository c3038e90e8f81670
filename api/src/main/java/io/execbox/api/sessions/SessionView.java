package io.execbox.api.sessions;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.media.Schema;

/** A session as the API shows it (API.md); {@code reason} is an extension. */
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
    @Schema(description = "mode, host and published ports") JsonNode network) {}
