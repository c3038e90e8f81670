package io.execbox.api.problem;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The problem statuses a route can answer with, beside the route so that they change with it; the
 * OpenAPI document describes each as an {@code application/problem+json} {@link ProblemDocument}. A
 * status the route also names in an {@code @ApiResponse} keeps that response's description.
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface ProblemResponses {
  /** HTTP statuses, such as 401 or 422. */
  int[] value();
}
