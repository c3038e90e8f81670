package io.execbox.api.problem;

import java.util.List;
import org.springframework.http.HttpStatus;

/** An error the API answers with an RFC 9457 problem. */
public class ApiException extends RuntimeException {
  /** One bad field of a request. */
  public record FieldError(String message, String location, Object value) {}

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
