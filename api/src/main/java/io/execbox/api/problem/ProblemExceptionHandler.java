package io.execbox.api.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.TransactionException;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * Turns every error, from any layer, into an RFC 9457 problem with the right 4xx status; a 500 is
 * reserved for real bugs, and is logged.
 */
public final class ProblemExceptionHandler implements WebExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(ProblemExceptionHandler.class);
  private static final long OUTAGE_LINE_EVERY = 5_000_000_000L;
  private final Problems problems;
  private final AtomicLong lastOutageLine =
      new AtomicLong(System.nanoTime() - OUTAGE_LINE_EVERY - 1);

  public ProblemExceptionHandler(Problems problems) {
    this.problems = problems;
  }

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
    ApiException problem = toProblem(ex);
    if (ex instanceof MethodNotAllowedException m && !exchange.getResponse().isCommitted()) {
      exchange.getResponse().getHeaders().setAllow(m.getSupportedMethods());
    }
    if (databaseDown(ex)) {
      // an outage answers every request with 503: one line every few seconds says it, not one
      // stack trace a request
      long now = System.nanoTime();
      long last = lastOutageLine.get();
      if (now - last > OUTAGE_LINE_EVERY && lastOutageLine.compareAndSet(last, now)) {
        log.warn(
            "the database is unavailable (answering 503 until it is back): {}", rootMessage(ex));
      }
    } else if (problem.status().is5xxServerError() && !(ex instanceof ApiException)) {
      log.error(
          "unhandled error on {} {}",
          exchange.getRequest().getMethod(),
          exchange.getRequest().getPath(),
          ex);
    }
    // read what is left of the request first: answering before the request is fully read leaves
    // the keep-alive connection in a state where the client's next request is never answered
    return exchange
        .getRequest()
        .getBody()
        .doOnNext(DataBufferUtils::release)
        .then()
        .onErrorResume(e -> Mono.empty())
        .then(
            problems.write(
                exchange.getResponse(), problem, exchange.getRequest().getPath().value()));
  }

  private static boolean databaseDown(Throwable ex) {
    return !(ex instanceof ApiException)
        && (has(ex, DataAccessException.class) || has(ex, TransactionException.class));
  }

  private static String rootMessage(Throwable ex) {
    Throwable t = ex;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  static ApiException toProblem(Throwable ex) {
    if (ex instanceof ApiException a) {
      return a;
    }
    if (has(ex, DataBufferLimitException.class)) {
      return new ApiException(
          HttpStatus.PAYLOAD_TOO_LARGE, "Payload Too Large", "the request body is too large");
    }
    if (databaseDown(ex)) {
      // the database failed or could not be reached: nothing was done, and a retry may work
      return ApiException.unavailable("the database is unavailable; try again");
    }
    if (ex instanceof UnsupportedMediaTypeStatusException) {
      return new ApiException(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          "Unsupported Media Type",
          "send the body as application/json");
    }
    if (ex instanceof MethodNotAllowedException m) {
      // the framework's message names its exception class; the client needs only the methods
      return new ApiException(
          HttpStatus.METHOD_NOT_ALLOWED,
          "Method Not Allowed",
          m.getSupportedMethods().isEmpty()
              ? "this route allows no method"
              : "this route allows "
                  + m.getSupportedMethods().stream()
                      .map(Object::toString)
                      .sorted()
                      .collect(Collectors.joining(", ")));
    }
    if (ex instanceof ServerWebInputException
        || has(ex, DecodingException.class)
        || has(ex, JsonProcessingException.class)) {
      if (has(ex, MismatchedInputException.class)
          && !has(ex, com.fasterxml.jackson.core.JsonParseException.class)) {
        return ApiException.badRequest("the request body does not have the expected shape");
      }
      return ApiException.badRequest("the request body is not valid JSON");
    }
    if (ex instanceof ServerWebInputException in) {
      return ApiException.badRequest(in.getReason() != null ? in.getReason() : "bad request");
    }
    if (ex instanceof ResponseStatusException r) {
      HttpStatus status = HttpStatus.resolve(r.getStatusCode().value());
      if (status == null) {
        status = HttpStatus.BAD_REQUEST;
      }
      String detail = r.getReason() != null ? r.getReason() : status.getReasonPhrase();
      if (status == HttpStatus.NOT_FOUND) {
        detail = "no such resource";
      }
      return new ApiException(status, status.getReasonPhrase(), detail);
    }
    return new ApiException(
        HttpStatus.INTERNAL_SERVER_ERROR, "Internal Server Error", "an unexpected error occurred");
  }

  private static boolean has(Throwable ex, Class<? extends Throwable> type) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
