package io.execbox.api.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.account.AccountController;
import io.execbox.api.account.AdminController;
import io.execbox.api.account.HealthController;
import io.execbox.api.attach.AttachFilter;
import io.execbox.api.attach.AttachHandler;
import io.execbox.api.auth.AuthFilter;
import io.execbox.api.auth.RateLimiter;
import io.execbox.api.problem.ProblemExceptionHandler;
import io.execbox.api.problem.Problems;
import io.execbox.api.sessions.SessionRequestValidator;
import io.execbox.api.sessions.SessionsController;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.time.Clock;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.server.WebFilter;
import reactor.netty.http.server.WebsocketServerSpec;

/** The api role: REST routes, attach, auth, limits, problems, OpenAPI. */
@Configuration(proxyBeanMethods = false)
public class ApiConfiguration {
  /** Largest WebSocket message: a 5-byte header and a 16 MiB − 1 payload. */
  static final int MAX_WS_MESSAGE = 5 + (16 << 20) - 1;

  @Bean
  Problems problems(ObjectMapper json) {
    return new Problems(json);
  }

  @Bean
  @Order(-2)
  WebExceptionHandler problemExceptionHandler(Problems problems) {
    return new ProblemExceptionHandler(problems);
  }

  @Bean
  @Order(-100)
  WebFilter authFilter(
      Store store,
      Clock clock,
      @Value("${execbox.rate-limit-per-minute:100}") int perMinute,
      @Value("${execbox.admin-token:}") String adminToken) {
    return new AuthFilter(
        store,
        new RateLimiter(perMinute, clock),
        new RateLimiter(perMinute, clock),
        adminToken,
        clock);
  }

  @Bean
  @Order(-90)
  WebFilter attachFilter(Store store) {
    return new AttachFilter(store);
  }

  @Bean
  @Order(-200)
  WebFilter openApiYamlAlias() {
    return (exchange, chain) -> {
      if ("/openapi.yaml".equals(exchange.getRequest().getPath().value())) {
        return chain.filter(exchange.mutate().request(r -> r.path("/openapi.json.yaml")).build());
      }
      return chain.filter(exchange);
    };
  }

  @Bean
  SessionRequestValidator sessionRequestValidator(MachineBackend backend) {
    return new SessionRequestValidator(false, backend.name());
  }

  @Bean
  SessionsController sessionsController(
      Store store,
      ObjectMapper json,
      SessionRequestValidator validator,
      MachineBackend backend,
      Clock clock,
      @Value("${execbox.default-timeout-ms:300000}") int defaultTimeoutMs) {
    return new SessionsController(store, json, validator, backend.name(), defaultTimeoutMs, clock);
  }

  @Bean
  AccountController accountController(
      Store store, Clock clock, @Value("${execbox.rate-limit-per-minute:100}") int perMinute) {
    return new AccountController(store, perMinute, clock);
  }

  @Bean
  AdminController adminController(
      Store store, @Value("${execbox.max-active-sessions:10}") int maxActive) {
    return new AdminController(store, maxActive);
  }

  @Bean
  HealthController healthController(Store store, MachineBackend backend) {
    return new HealthController(store, backend);
  }

  @Bean
  AttachHandler attachHandler(
      Store store, MachineBackend backend, SessionIoHub hub, MeterRegistry meters) {
    return new AttachHandler(store, backend, hub, meters);
  }

  @Bean
  HandlerMapping attachMapping(AttachHandler handler) {
    SimpleUrlHandlerMapping m =
        new SimpleUrlHandlerMapping(Map.of("/v1/sessions/*/attach", handler));
    m.setOrder(-1);
    return m;
  }

  /** The WebSocket service of WebFlux's own handler adapter, accepting 16 MiB data frames. */
  @Bean
  WebFluxConfigurer webSocketServiceConfigurer() {
    return new WebFluxConfigurer() {
      @Override
      public WebSocketService getWebSocketService() {
        ReactorNettyRequestUpgradeStrategy strategy =
            new ReactorNettyRequestUpgradeStrategy(
                () -> WebsocketServerSpec.builder().maxFramePayloadLength(MAX_WS_MESSAGE));
        // no session attribute predicate: copying attributes creates a WebSession, which hops to
        // another thread mid-handshake and lets the client's first frames race the handler
        return new HandshakeWebSocketService(strategy);
      }
    };
  }

  @Bean
  OpenAPI execboxOpenApi() {
    return new OpenAPI()
        .info(
            new Info()
                .title("execbox")
                .version("v1")
                .description(
                    "Run one command in one container image with limits and a deadline; attach over"
                        + " a WebSocket at /v1/sessions/{id}/attach (binary frames, see API.md)."))
        .components(
            new Components()
                .addSecuritySchemes(
                    "bearer",
                    new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP)
                        .scheme("bearer")
                        .bearerFormat("sk_…")));
  }
}
