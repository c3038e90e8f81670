package io.execbox.api.account;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.api.auth.ApiKeys;
import io.execbox.api.auth.Principal;
import io.execbox.api.config.ApiOptions;
import io.execbox.api.config.OpenApiConfiguration;
import io.execbox.api.input.JsonBodies;
import io.execbox.api.input.StoredText;
import io.execbox.api.problem.ApiException;
import io.execbox.api.problem.ProblemResponses;
import io.execbox.crds.Rfc3339;
import io.execbox.store.ApiKeyRow;
import io.execbox.store.Store;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** The account routes (extension): the account, its usage, its keys. */
@RestController
@RequestMapping(path = "/v1/account", produces = MediaType.APPLICATION_JSON_VALUE)
@SecurityRequirement(name = OpenApiConfiguration.KEY)
public class AccountController {
  /** The limits that apply to an account. */
  public record Limits(
      int maxActiveSessions,
      @Schema(description = "Requests per minute per key") int requestsPerMinute,
      @Schema(description = "Requests per minute of the account, all its keys together")
          int accountRequestsPerMinute,
      @Schema(description = "Live (not revoked) keys the account may have") int maxKeys) {}

  /** The account. */
  public record AccountView(String id, String name, String createdAt, Limits limits) {}

  /** Today's usage (UTC day). */
  public record UsageView(
      String date,
      long sessionsToday,
      long activeSessions,
      double wallSeconds,
      double cpuSeconds,
      Limits limits) {}

  /** A key as listed: never the key itself. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record KeyView(
      String id,
      String name,
      String prefix,
      String createdAt,
      String revokedAt,
      String lastUsedAt) {}

  /** The account's keys. */
  public record KeyList(List<KeyView> keys) {}

  /** A key just made: the only time the key is shown. */
  public record NewKeyView(String id, String accountId, String name, String prefix, String key) {}

  /** Body of a key creation. */
  public record NewKeyRequest(
      @Schema(description = "A name to tell the key by; `key` when absent", maxLength = 100)
          String name) {}

  /** The {@code {id}} of a key route. */
  @Target(ElementType.PARAMETER)
  @Retention(RetentionPolicy.RUNTIME)
  @Parameter(
      description = "The key's id (not the key)",
      schema = @Schema(example = "key_0123456789abcdef"))
  @interface KeyId {}

  private final Store store;
  private final ApiOptions options;
  private final Clock clock;
  private final JsonBodies bodies;

  public AccountController(Store store, ApiOptions options, Clock clock, JsonBodies bodies) {
    this.store = store;
    this.bodies = bodies;
    this.options = options;
    this.clock = clock;
  }

  private Limits limits(int maxActiveSessions) {
    return new Limits(
        maxActiveSessions,
        options.rateLimitPerMinute(),
        options.accountRateLimitPerMinute(),
        options.maxKeysPerAccount());
  }

  /** The problem of a key creation refused by the cap on live keys. */
  public static ApiException tooManyKeys(int max) {
    return ApiException.conflict(
        "the account has "
            + max
            + " live keys, the most it may have; revoke one first (DELETE /v1/account/keys/{id})");
  }

  @Operation(operationId = "getAccount", summary = "The caller's account and its limits")
  @Tag(name = "Account")
  @ProblemResponses({401, 429, 503})
  @GetMapping
  public Mono<AccountView> account(ServerWebExchange exchange) {
    Principal p = Principal.of(exchange);
    return store
        .accounts()
        .findAccount(p.accountId())
        .map(
            a ->
                new AccountView(
                    a.id(),
                    a.name(),
                    Rfc3339.format(a.createdAt()),
                    limits(a.maxActiveSessions())));
  }

  @Operation(
      operationId = "getUsage",
      summary = "Today's usage (UTC day): sessions, active sessions, seconds, limits")
  @Tag(name = "Account")
  @ProblemResponses({401, 429, 503})
  @GetMapping("/usage")
  public Mono<UsageView> usage(ServerWebExchange exchange) {
    Principal p = Principal.of(exchange);
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    Instant dayStart = today.atStartOfDay().toInstant(ZoneOffset.UTC);
    return store
        .accounts()
        .findAccount(p.accountId())
        .zipWith(store.usage().summary(p.accountId(), dayStart))
        .map(
            t ->
                new UsageView(
                    today.toString(),
                    t.getT2().sessionsToday(),
                    t.getT2().activeSessions(),
                    round(t.getT2().wallSeconds()),
                    round(t.getT2().cpuSeconds()),
                    limits(t.getT1().maxActiveSessions())));
  }

  @Operation(operationId = "listKeys", summary = "The account's keys (never the keys themselves)")
  @Tag(name = "Keys")
  @ProblemResponses({401, 429, 503})
  @GetMapping("/keys")
  public Mono<KeyList> keys(ServerWebExchange exchange) {
    Principal p = Principal.of(exchange);
    return store
        .accounts()
        .listKeys(p.accountId())
        .map(AccountController::view)
        .collectList()
        .map(KeyList::new);
  }

  @Operation(operationId = "createKey", summary = "Create a key; the response shows it this once")
  @Tag(name = "Keys")
  @ApiResponse(responseCode = "201", description = "Created; the key is shown this once")
  @ProblemResponses({400, 401, 409, 413, 422, 429, 503})
  @ApiResponse(
      responseCode = "409",
      description = "The account has as many live keys as it may have: revoke one first.")
  @PostMapping(path = "/keys", consumes = MediaType.ALL_VALUE)
  public Mono<ResponseEntity<NewKeyView>> createKey(
      ServerWebExchange exchange,
      @io.swagger.v3.oas.annotations.parameters.RequestBody(
              content =
                  @Content(
                      mediaType = MediaType.APPLICATION_JSON_VALUE,
                      schema = @Schema(implementation = NewKeyRequest.class)))
          @RequestBody(required = false)
          byte[] body) {
    Principal p = Principal.of(exchange);
    JsonNode tree = bodies.read(body);
    JsonNode given = tree == null ? null : tree.get("name");
    List<ApiException.FieldError> errors = new ArrayList<>();
    if (tree != null && !tree.isObject()) {
      errors.add(new ApiException.FieldError("the body must be a JSON object", "body", null));
    } else if (given != null && !given.isNull() && !given.isTextual()) {
      errors.add(new ApiException.FieldError("name must be a string", "body.name", null));
    } else if (given != null && given.isTextual()) {
      if (given.textValue().length() > 100) {
        errors.add(
            new ApiException.FieldError("name must be at most 100 characters", "body.name", null));
      }
      StoredText.check(given.textValue(), "body.name", errors);
    }
    if (!errors.isEmpty()) {
      return Mono.error(ApiException.invalid(errors));
    }
    String name =
        given == null || !given.isTextual() || given.textValue().isBlank()
            ? "key"
            : given.textValue();
    String key = ApiKeys.newKey();
    return store
        .accounts()
        .insertKeyWithin(
            options.maxKeysPerAccount(),
            ApiKeys.newId("key"),
            p.accountId(),
            name,
            ApiKeys.hash(key),
            ApiKeys.prefix(key))
        .switchIfEmpty(Mono.error(() -> tooManyKeys(options.maxKeysPerAccount())))
        .map(
            k ->
                ResponseEntity.status(HttpStatus.CREATED)
                    .body(new NewKeyView(k.id(), k.accountId(), k.name(), k.keyPrefix(), key)));
  }

  @Operation(
      operationId = "rotateKey",
      summary = "Replace a key with a new one of the same name; the old one stops working now")
  @Tag(name = "Keys")
  @ApiResponse(responseCode = "201", description = "The new key, shown this once")
  @ProblemResponses({401, 404, 429, 503})
  @PostMapping(path = "/keys/{id}/rotate", consumes = MediaType.ALL_VALUE)
  public Mono<ResponseEntity<NewKeyView>> rotate(
      ServerWebExchange exchange, @KeyId @PathVariable String id) {
    Principal p = Principal.of(exchange);
    if (!StoredText.storable(id)) {
      // no key has such an id, and PostgreSQL cannot even look for one
      return Mono.error(ApiException.notFound("that key"));
    }
    String key = ApiKeys.newKey();
    return store
        .accounts()
        .rotateKey(p.accountId(), id, ApiKeys.newId("key"), ApiKeys.hash(key), ApiKeys.prefix(key))
        .switchIfEmpty(Mono.error(ApiException.notFound("key " + id)))
        .map(
            k ->
                ResponseEntity.status(HttpStatus.CREATED)
                    .body(new NewKeyView(k.id(), k.accountId(), k.name(), k.keyPrefix(), key)));
  }

  @Operation(operationId = "revokeKey", summary = "Revoke a key")
  @Tag(name = "Keys")
  @ProblemResponses({401, 404, 429, 503})
  @DeleteMapping("/keys/{id}")
  public Mono<KeyView> revoke(ServerWebExchange exchange, @KeyId @PathVariable String id) {
    Principal p = Principal.of(exchange);
    if (!StoredText.storable(id)) {
      return Mono.error(ApiException.notFound("that key"));
    }
    return store
        .accounts()
        .revokeKey(p.accountId(), id)
        .switchIfEmpty(Mono.error(ApiException.notFound("key " + id)))
        .map(AccountController::view);
  }

  static KeyView view(ApiKeyRow k) {
    return new KeyView(
        k.id(),
        k.name(),
        k.keyPrefix(),
        Rfc3339.format(k.createdAt()),
        Rfc3339.format(k.revokedAt()),
        Rfc3339.format(k.lastUsedAt()));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
