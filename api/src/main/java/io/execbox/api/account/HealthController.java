package io.execbox.api.account;

import io.execbox.api.problem.ProblemResponses;
import io.execbox.machines.BlockingPools;
import io.execbox.machines.MachineBackend;
import io.execbox.store.Store;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code GET /health}: the database and the backend, each checked for real. */
@RestController
@Tag(name = "Health")
public class HealthController {
  /** The server's health: UP when both its database and its backend are. */
  public record HealthView(
      @Schema(allowableValues = {"UP", "DOWN"}) String status,
      @Schema(allowableValues = {"UP", "DOWN"}) String database,
      Backend backend) {}

  /** The machine backend's health. */
  public record Backend(
      @Schema(example = "docker") String name,
      @Schema(allowableValues = {"UP", "DOWN"}) String status) {}

  private final Store store;
  private final MachineBackend backend;

  public HealthController(Store store, MachineBackend backend) {
    this.store = store;
    this.backend = backend;
  }

  @Operation(
      operationId = "getHealth",
      summary = "Health of the server, its database and its machine backend (no key needed)")
  @ApiResponse(responseCode = "200", description = "The database and the backend are UP")
  @ApiResponse(
      responseCode = "503",
      description = "The database or the backend is DOWN",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON_VALUE,
              schema = @Schema(implementation = HealthView.class)))
  @ProblemResponses({429})
  @ApiResponse(
      responseCode = "429",
      description = "Too many requests this minute from this address; retry after `Retry-After`.")
  @GetMapping(path = "/health", produces = MediaType.APPLICATION_JSON_VALUE)
  public Mono<ResponseEntity<HealthView>> health() {
    Mono<String> db =
        store.ping().thenReturn("UP").timeout(Duration.ofSeconds(3)).onErrorReturn("DOWN");
    Mono<String> be =
        Mono.fromRunnable(backend::ping)
            .subscribeOn(BlockingPools.HEALTH)
            .thenReturn("UP")
            .timeout(Duration.ofSeconds(3))
            .onErrorReturn("DOWN");
    return Mono.zip(db, be)
        .map(
            t -> {
              boolean up = t.getT1().equals("UP") && t.getT2().equals("UP");
              return ResponseEntity.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                  .body(
                      new HealthView(
                          up ? "UP" : "DOWN", t.getT1(), new Backend(backend.name(), t.getT2())));
            });
  }
}
