package io.execbox.api.sessions;

import io.execbox.crds.SessionIds;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The {@code {id}} of a session route, as the OpenAPI document describes it. An id of another form
 * is answered 404 like any session the caller does not have.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Parameter(
    description = "The session's id",
    schema =
        @Schema(
            pattern = "^" + SessionIds.PATTERN + "$",
            example = "sess_4f1c2a9b8d7e6f5a4b3c2d1e"))
@interface SessionId {}
