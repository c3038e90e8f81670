package io.execbox.api.sessions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.auth.Principal;
import io.execbox.api.config.OpenApiConfiguration;
import io.execbox.api.input.JsonBodies;
import io.execbox.api.problem.ApiException;
import io.execbox.api.problem.ApiException.FieldError;
import io.execbox.api.problem.ProblemResponses;
import io.execbox.crds.Deadlines;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionSpec;
import io.execbox.crds.Transitions;
import io.execbox.store.CreateOutcome;
import io.execbox.store.NewSession;
import io.execbox.store.SessionPatch;
import io.execbox.store.SessionPatch.Request;
import io.execbox.store.SessionRow;
import io.execbox.store.Store;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** The session routes of docs/API.md. */
@RestController
@RequestMapping(path = "/v1/sessions", produces = MediaType.APPLICATION_JSON_VALUE)
@SecurityRequirement(name = OpenApiConfiguration.KEY)
@Tag(name = "Sessions")
public class SessionsController {
  private static final Logger log = LoggerFactory.getLogger(SessionsController.class);

  private static final Set<String> STATUSES =
      Arrays.stream(SessionPhase.values())
          .map(SessionPhase::wire)
          .collect(Collectors.toCollection(LinkedHashSet::new));

  private final Store store;
  private final ObjectMapper json;
  private final SessionRequestValidator validator;
  private final String backend;
  private final int defaultTimeoutMs;
  private final Clock clock;
  private final SessionObjects objects;
  private final JsonBodies bodies;

  public SessionsController(
      Store store,
      ObjectMapper json,
      SessionRequestValidator validator,
      String backend,
      int defaultTimeoutMs,
      Clock clock,
      SessionObjects objects) {
    this.objects = objects;
    this.bodies = new JsonBodies(json);
    this.store = store;
    this.json = json;
    this.validator = validator;
    this.backend = backend;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.clock = clock;
  }

  @Operation(
      operationId = "createSession",
      summary = "Create a session: one command in one image, with limits and a deadline")
  @ApiResponse(
      responseCode = "201",
      description = "Created, pending; or, for a repeated Idempotency-Key, the session it created")
  @ProblemResponses({400, 401, 413, 422, 429, 503})
  @ApiResponse(
      responseCode = "429",
      description =
          "Too many requests this minute, or the account already has its most sessions pending or"
              + " running; retry after `Retry-After` seconds.")
  @PostMapping(consumes = MediaType.ALL_VALUE)
  public Mono<ResponseEntity<SessionView>> create(
      ServerWebExchange exchange,
      @io.swagger.v3.oas.annotations.parameters.RequestBody(
              required = true,
              content =
                  @Content(
                      mediaType = MediaType.APPLICATION_JSON_VALUE,
                      schema = @Schema(implementation = SessionSpec.class)))
          @RequestBody(required = false)
          byte[] body,
      @Parameter(
              description =
                  "Makes a retried create answer with the session the first one created"
                      + " (extension)",
              schema = @Schema(minLength = 1, maxLength = 255))
          @RequestHeader(name = "Idempotency-Key", required = false)
          String idempotencyKey) {
    Principal p = Principal.of(exchange);
    JsonNode tree = bodies.read(body);
    if (tree == null) {
      return Mono.error(ApiException.badRequest("a JSON body is required"));
    }
    List<FieldError> errors = validator.validate(tree, idempotencyKey);
    if (!errors.isEmpty()) {
      return Mono.error(ApiException.invalid(errors));
    }
    SessionSpec spec;
    String specJson;
    try {
      spec = json.treeToValue(tree, SessionSpec.class);
      specJson = json.writeValueAsString(spec);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return Mono.error(
          ApiException.invalid(
              List.of(
                  new FieldError("the request does not match the session schema", "body", null))));
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    Instant deadline = Deadlines.deadline(spec, defaultTimeoutMs, now);
    NewSession s =
        new NewSession(
            SessionIds.newId(),
            p.accountId(),
            specJson,
            spec.getImage(),
            backend,
            idempotencyKey,
            now,
            deadline);
    SessionSpec created = spec;
    AtomicReference<SessionRow> written = new AtomicReference<>();
    return store
        .sessions()
        .create(
            s,
            row -> {
              // from here the resource may exist, even when the call fails (a lost answer)
              written.set(row);
              return objects.created(row, created);
            })
        .onErrorResume(e -> abandon(written.get(), e))
        .flatMap(
            outcome -> {
              if (outcome instanceof CreateOutcome.Created c) {
                return Mono.just(ResponseEntity.status(HttpStatus.CREATED).body(view(c.session())));
              }
              if (outcome instanceof CreateOutcome.Existing e) {
                return Mono.just(ResponseEntity.status(HttpStatus.CREATED).body(view(e.session())));
              }
              if (outcome instanceof CreateOutcome.QuotaExceeded q) {
                return Mono.error(
                    new ApiException(
                        HttpStatus.TOO_MANY_REQUESTS,
                        "Too Many Requests",
                        "concurrent session limit reached: at most "
                            + q.limit()
                            + " sessions may be pending or running at once for this account",
                        null,
                        5L));
              }
              return Mono.error(ApiException.unauthorized());
            });
  }

  /**
   * The create failed once the session's objects may have been written (its transaction did not
   * commit): remove them, then fail as the create did.
   */
  private <T> Mono<T> abandon(SessionRow row, Throwable e) {
    if (row == null) {
      return Mono.error(e);
    }
    return objects
        .abandoned(row)
        .onErrorResume(
            x -> {
              log.warn(
                  "session {}: its create failed and its objects could not be removed: {}",
                  row.id(),
                  x.toString());
              return Mono.empty();
            })
        .then(Mono.error(e));
  }

  @Operation(operationId = "getSession", summary = "Get a session")
  @ProblemResponses({401, 404, 429, 503})
  @GetMapping("/{id}")
  public Mono<SessionView> get(ServerWebExchange exchange, @SessionId @PathVariable String id) {
    return owned(exchange, id).map(this::view);
  }

  @Operation(operationId = "listSessions", summary = "List the account's sessions, newest first")
  @ProblemResponses({401, 422, 429, 503})
  @GetMapping
  public Mono<SessionList> list(
      ServerWebExchange exchange,
      @Parameter(
              description = "Only sessions with this status",
              schema = @Schema(implementation = SessionPhase.class))
          @RequestParam(required = false)
          String status,
      @Parameter(
              description = "Sessions per page",
              schema =
                  @Schema(
                      type = "integer",
                      format = "int32",
                      minimum = "1",
                      maximum = "100",
                      defaultValue = "50"))
          @RequestParam(required = false)
          String limit,
      @Parameter(description = "The nextCursor of the previous page, as it was")
          @RequestParam(required = false)
          String cursor) {
    Principal p = Principal.of(exchange);
    List<FieldError> errors = new java.util.ArrayList<>();
    if (status != null && !STATUSES.contains(status)) {
      errors.add(new FieldError("status must be one of " + STATUSES, "query.status", status));
    }
    int n = 50;
    if (limit != null) {
      try {
        n = Integer.parseInt(limit);
        if (n < 1 || n > 100) {
          errors.add(new FieldError("limit must be from 1 to 100", "query.limit", limit));
        }
      } catch (NumberFormatException e) {
        errors.add(new FieldError("limit must be an integer from 1 to 100", "query.limit", limit));
      }
    }
    SessionCursor c = null;
    if (cursor != null) {
      c = SessionCursor.decode(cursor);
      if (c == null) {
        errors.add(new FieldError("cursor is not one this API returned", "query.cursor", cursor));
      }
    }
    if (!errors.isEmpty()) {
      return Mono.error(ApiException.invalid(errors));
    }
    int pageSize = n;
    return store
        .sessions()
        .list(
            p.accountId(),
            status,
            pageSize + 1,
            c == null ? null : c.createdAt(),
            c == null ? null : c.id())
        .collectList()
        .map(
            rows -> {
              String next = null;
              if (rows.size() > pageSize) {
                rows = rows.subList(0, pageSize);
                SessionRow last = rows.get(pageSize - 1);
                next = new SessionCursor(last.createdAt(), last.id()).encode();
              }
              return new SessionList(rows.stream().map(this::view).toList(), next);
            });
  }

  @Operation(
      operationId = "stopSession",
      summary = "Stop a session: SIGTERM, then SIGKILL after a grace period")
  @ApiResponse(responseCode = "200", description = "Stopped (again, if it already was)")
  @ProblemResponses({401, 404, 409, 429, 503})
  @ApiResponse(responseCode = "409", description = "The session already ended killed or failed.")
  @PostMapping(path = "/{id}/stop", consumes = MediaType.ALL_VALUE)
  public Mono<StatusView> stop(ServerWebExchange exchange, @SessionId @PathVariable String id) {
    Principal p = Principal.of(exchange);
    return checkId(id)
        .then(store.sessions().decideAndApply(p.accountId(), id, this::stopPatch))
        .switchIfEmpty(Mono.error(ApiException.notFound("session " + id)))
        .flatMap(
            row ->
                Transitions.stop(SessionPhase.fromWire(row.status())).accepted()
                    ? objects
                        .stopRequested(row)
                        .thenReturn(new StatusView(SessionPhase.fromWire(row.status())))
                    : Mono.error(
                        ApiException.conflict(
                            "session " + id + " already ended: " + row.status())));
  }

  @Operation(
      operationId = "deleteSession",
      summary = "Kill a session now and destroy its machine; the record stays")
  @ApiResponse(
      responseCode = "200",
      description = "killed, or the final status of a session that had already ended")
  @ProblemResponses({401, 404, 429, 503})
  @DeleteMapping("/{id}")
  public Mono<StatusView> delete(ServerWebExchange exchange, @SessionId @PathVariable String id) {
    Principal p = Principal.of(exchange);
    return checkId(id)
        .then(store.sessions().decideAndApply(p.accountId(), id, this::killPatch))
        .switchIfEmpty(Mono.error(ApiException.notFound("session " + id)))
        .flatMap(
            row ->
                objects
                    .killRequested(row)
                    .thenReturn(new StatusView(SessionPhase.fromWire(row.status()))));
  }

  /** What a stop writes: the contract's decision ({@link Transitions#stop}) for the row. */
  private SessionPatch stopPatch(SessionRow row) {
    Transitions.Requested t = Transitions.stop(SessionPhase.fromWire(row.status()));
    return SessionPatch.requested(
        row, Request.STOP, t.phase().wire(), t.endsNow(), t.reason(), clock.instant());
  }

  /** What a delete writes: the contract's decision ({@link Transitions#kill}) for the row. */
  private SessionPatch killPatch(SessionRow row) {
    Transitions.Requested t = Transitions.kill(SessionPhase.fromWire(row.status()));
    return SessionPatch.requested(
        row, Request.KILL, t.phase().wire(), t.endsNow(), t.reason(), clock.instant());
  }

  private Mono<SessionRow> owned(ServerWebExchange exchange, String id) {
    Principal p = Principal.of(exchange);
    return checkId(id)
        .then(store.sessions().find(p.accountId(), id))
        .switchIfEmpty(Mono.error(ApiException.notFound("session " + id)));
  }

  private static Mono<Void> checkId(String id) {
    return SessionIds.isValid(id)
        ? Mono.empty()
        : Mono.error(ApiException.notFound("session " + id));
  }

  SessionView view(SessionRow r) {
    return SessionView.of(r, json);
  }
}
