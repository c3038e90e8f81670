package io.execbox.api.sessions;

import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/** The answer to stop and delete. */
public record StatusView(
    @Schema(
            description = "The session's status after the request",
            allowableValues = {"stopped", "killed", "failed"},
            requiredMode = RequiredMode.REQUIRED)
        String status) {}
