package io.execbox.api.account;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.api.auth.ApiKeys;
import io.execbox.api.config.OpenApiConfiguration;
import io.execbox.api.input.JsonBodies;
import io.execbox.api.input.StoredText;
import io.execbox.api.problem.ApiException;
import io.execbox.api.problem.ProblemResponses;
import io.execbox.store.Store;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Admin routes, present only when EXECBOX_ADMIN_TOKEN is set (the auth filter answers 404
 * otherwise).
 */
@RestController
@RequestMapping(path = "/v1/admin", produces = MediaType.APPLICATION_JSON_VALUE)
@SecurityRequirement(name = OpenApiConfiguration.ADMIN)
@Tag(name = "Admin")
public class AdminController {
  /** Body of an admin key creation. */
  public record AdminKeyRequest(
      @Schema(minLength = 1, maxLength = 100, requiredMode = RequiredMode.REQUIRED) String name,
      @Schema(description = "An existing account for the key; a new account when absent")
          String accountId) {}

  /** A created key, shown this once. */
  public record AdminKeyView(String id, String accountId, String key) {}

  private final Store store;
  private final int defaultMaxActiveSessions;
  private final int maxKeysPerAccount;
  private final JsonBodies bodies;

  public AdminController(
      Store store, int defaultMaxActiveSessions, int maxKeysPerAccount, JsonBodies bodies) {
    this.store = store;
    this.bodies = bodies;
    this.defaultMaxActiveSessions = defaultMaxActiveSessions;
    this.maxKeysPerAccount = maxKeysPerAccount;
  }

  @Operation(
      operationId = "adminCreateKey",
      summary = "Create a key, in a new account unless accountId is given")
  @ApiResponse(responseCode = "201", description = "Created; the key is shown this once")
  @ProblemResponses({400, 401, 404, 409, 413, 422, 429, 503})
  @ApiResponse(
      responseCode = "409",
      description = "The account has as many live keys as it may have.")
  @ApiResponse(
      responseCode = "404",
      description =
          "The server has no admin token (the admin routes do not exist), or no such account.")
  @ApiResponse(responseCode = "401", description = "No admin token, or not the server's.")
  @ApiResponse(
      responseCode = "429",
      description =
          "Too many admin requests this minute from this address; retry after `Retry-After` seconds.")
  @PostMapping(path = "/keys", consumes = MediaType.ALL_VALUE)
  public Mono<ResponseEntity<AdminKeyView>> createKey(
      @io.swagger.v3.oas.annotations.parameters.RequestBody(
              required = true,
              content =
                  @Content(
                      mediaType = MediaType.APPLICATION_JSON_VALUE,
                      schema = @Schema(implementation = AdminKeyRequest.class)))
          @RequestBody(required = false)
          byte[] raw) {
    JsonNode tree = bodies.read(raw);
    JsonNode name = tree == null ? null : tree.get("name");
    JsonNode accountId = tree == null ? null : tree.get("accountId");
    List<ApiException.FieldError> errors = new ArrayList<>();
    if (name == null
        || !name.isTextual()
        || name.textValue().isBlank()
        || name.textValue().length() > 100) {
      errors.add(
          new ApiException.FieldError("name is required (1 to 100 characters)", "body.name", null));
    } else {
      StoredText.check(name.textValue(), "body.name", errors);
    }
    if (accountId != null && !accountId.isNull() && !accountId.isTextual()) {
      errors.add(new ApiException.FieldError("accountId must be a string", "body.accountId", null));
    } else if (accountId != null && accountId.isTextual()) {
      StoredText.check(accountId.textValue(), "body.accountId", errors);
    }
    if (!errors.isEmpty()) {
      return Mono.error(ApiException.invalid(errors));
    }
    AdminKeyRequest body =
        new AdminKeyRequest(
            name.textValue(),
            accountId != null && accountId.isTextual() ? accountId.textValue() : null);
    String key = ApiKeys.newKey();
    Mono<String> account =
        body.accountId() != null
            ? store
                .accounts()
                .findAccount(body.accountId())
                .map(a -> a.id())
                .switchIfEmpty(Mono.error(ApiException.notFound("account " + body.accountId())))
            : store
                .accounts()
                .createAccount(ApiKeys.newId("acct"), body.name(), defaultMaxActiveSessions)
                .map(a -> a.id());
    return account
        .flatMap(
            id ->
                store
                    .accounts()
                    .insertKeyWithin(
                        maxKeysPerAccount,
                        ApiKeys.newId("key"),
                        id,
                        body.name(),
                        ApiKeys.hash(key),
                        ApiKeys.prefix(key))
                    .switchIfEmpty(
                        Mono.error(() -> AccountController.tooManyKeys(maxKeysPerAccount))))
        .map(
            k ->
                ResponseEntity.status(HttpStatus.CREATED)
                    .body(new AdminKeyView(k.id(), k.accountId(), key)));
  }
}
