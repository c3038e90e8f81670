package io.execbox.api.account;

import io.execbox.machines.BlockingPools;
import io.execbox.machines.MachineBackend;
import io.execbox.store.Store;
import io.swagger.v3.oas.annotations.Operation;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code GET /health}: the database and the backend, each checked for real. */
@RestController
public class HealthController {
  private final Store store;
  private final MachineBackend backend;

  public HealthController(Store store, MachineBackend backend) {
    this.store = store;
    this.backend = backend;
  }

  @Operation(summary = "Health of the server, its database and its machine backend")
  @GetMapping(path = "/health", produces = MediaType.APPLICATION_JSON_VALUE)
  public Mono<ResponseEntity<Map<String, Object>>> health() {
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
              Map<String, Object> body = new LinkedHashMap<>();
              body.put("status", up ? "UP" : "DOWN");
              body.put("database", t.getT1());
              body.put("backend", Map.of("name", backend.name(), "status", t.getT2()));
              return ResponseEntity.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                  .body(body);
            });
  }
}
