package io.execbox.api.problem;

import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;
import java.util.List;
import org.springframework.http.HttpStatus;

/** An error the API answers with an RFC 9457 problem. */
public class ApiException extends RuntimeException {
  /** One bad field of a request. */
  @Schema(name = "FieldError", description = "One bad field of a request")
  public record FieldError(
      @Schema(
              description = "What is wrong with it",
              example = "memoryMB must be an integer from 128 to 8192",
              requiredMode = RequiredMode.REQUIRED)
          String message,
      @Schema(
              description =
                  "Where it is: body.<field> (with [index] and .<name> for what is inside),"
                      + " query.<parameter> or header.<name>",
              example = "body.resources.memoryMB",
              requiredMode = RequiredMode.REQUIRED)
          String location,
      @Schema(
              description =
                  "The value as sent, a string cut to 200 characters; for an array or object its"
                      + " kind (\"array\", \"object\"); absent where it may be a secret (env"
                      + " values, file contents, keys)",
              oneOf = {String.class, Number.class, Boolean.class})
          Object value) {}

  private final HttpStatus status;
  private final String title;
  private final List<FieldError> errors;
  private final Long retryAfterSeconds;

  public ApiException(
      HttpStatus status, String title, String detail, List<FieldError> errors, Long retryAfter) {
    super(detail);
    this.status = status;
    this.title = title;
    this.errors = errors;
    this.retryAfterSeconds = retryAfter;
  }

  public ApiException(HttpStatus status, String title, String detail) {
    this(status, title, detail, null, null);
  }

  public static ApiException notFound(String what) {
    return new ApiException(HttpStatus.NOT_FOUND, "Not Found", what + " does not exist");
  }

  public static ApiException unauthorized() {
    return new ApiException(
        HttpStatus.UNAUTHORIZED,
        "Unauthorized",
        "a valid API key is required: send Authorization: Bearer <key>");
  }

  public static ApiException badRequest(String detail) {
    return new ApiException(HttpStatus.BAD_REQUEST, "Bad Request", detail);
  }

  public static ApiException invalid(List<FieldError> errors) {
    return new ApiException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        "Unprocessable Entity",
        errors.size() == 1 ? errors.get(0).message() : errors.size() + " fields are invalid",
        errors,
        null);
  }

  public static ApiException conflict(String detail) {
    return new ApiException(HttpStatus.CONFLICT, "Conflict", detail);
  }

  public static ApiException unavailable(String detail) {
    return new ApiException(
        HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable", detail, null, 5L);
  }

  public HttpStatus status() {
    return status;
  }

  public String title() {
    return title;
  }

  public List<FieldError> errors() {
    return errors;
  }

  public Long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
