package io.execbox.api.problem;

import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;
import java.util.List;

/**
 * The shape of every error response, for the OpenAPI document: what {@link Problems#body} writes.
 */
@Schema(
    name = "Problem",
    description = "An RFC 9457 problem (media type application/problem+json): every error response")
public record ProblemDocument(
    @Schema(
            description = "Always about:blank: status and title say what kind of error it is",
            example = "about:blank",
            requiredMode = RequiredMode.REQUIRED)
        String type,
    @Schema(
            description = "The status's reason phrase",
            example = "Unprocessable Entity",
            requiredMode = RequiredMode.REQUIRED)
        String title,
    @Schema(description = "The HTTP status", example = "422", requiredMode = RequiredMode.REQUIRED)
        int status,
    @Schema(
            description = "What went wrong, for a person; with several bad fields, how many",
            example = "image is required",
            requiredMode = RequiredMode.REQUIRED)
        String detail,
    @Schema(description = "The request's path", example = "/v1/sessions") String instance,
    @Schema(description = "422 only: each bad field (extension)")
        List<ApiException.FieldError> errors) {}
