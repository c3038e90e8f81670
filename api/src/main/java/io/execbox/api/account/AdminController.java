package io.execbox.api.account;

import io.execbox.api.auth.ApiKeys;
import io.execbox.api.problem.ApiException;
import io.execbox.store.Store;
import io.swagger.v3.oas.annotations.Operation;
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
public class AdminController {
  /** Body of an admin key creation. */
  public record AdminKeyRequest(String name, String accountId) {}

  /** A created key, shown this once. */
  public record AdminKeyView(String id, String accountId, String key) {}

  private final Store store;
  private final int defaultMaxActiveSessions;

  public AdminController(Store store, int defaultMaxActiveSessions) {
    this.store = store;
    this.defaultMaxActiveSessions = defaultMaxActiveSessions;
  }

  @Operation(summary = "Create a key, in a new account unless accountId is given")
  @PostMapping(path = "/keys", consumes = MediaType.ALL_VALUE)
  public Mono<ResponseEntity<AdminKeyView>> createKey(
      @RequestBody(required = false) AdminKeyRequest body) {
    if (body == null
        || body.name() == null
        || body.name().isBlank()
        || body.name().length() > 100) {
      return Mono.error(
          ApiException.invalid(
              List.of(
                  new ApiException.FieldError(
                      "name is required (1 to 100 characters)", "body.name", null))));
    }
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
                    .insertKey(
                        ApiKeys.newId("key"),
                        id,
                        body.name(),
                        ApiKeys.hash(key),
                        ApiKeys.prefix(key)))
        .map(
            k ->
                ResponseEntity.status(HttpStatus.CREATED)
                    .body(new AdminKeyView(k.id(), k.accountId(), key)));
  }
}
