package io.execbox.api.sessions;

import io.execbox.crds.SessionPhase;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/** The answer to stop and delete. */
public record StatusView(
    @Schema(
            description =
                "The session's status after the request: stopped, killed or failed (a delete of a"
                    + " session that had ended answers its final status)",
            requiredMode = RequiredMode.REQUIRED)
        SessionPhase status) {}
