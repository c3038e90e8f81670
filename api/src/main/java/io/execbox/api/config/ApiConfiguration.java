package io.execbox.api.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.account.AccountController;
import io.execbox.api.account.AdminController;
import io.execbox.api.account.HealthController;
import io.execbox.api.input.JsonBodies;
import io.execbox.api.sessions.SessionObjects;
import io.execbox.api.sessions.SessionRequestValidator;
import io.execbox.api.sessions.SessionsController;
import io.execbox.machines.MachineBackend;
import io.execbox.store.Store;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.Order;
import org.springframework.web.server.WebFilter;

/**
 * The api role: REST routes, attach (with its auth and problems), limits, OpenAPI. Needs an {@link
 * ApiOptions} bean.
 */
@Configuration(proxyBeanMethods = false)
@Import({AttachConfiguration.class, OpenApiConfiguration.class})
public class ApiConfiguration {
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
      ApiOptions options,
      ObjectProvider<SessionObjects> objects) {
    return new SessionsController(
        store,
        json,
        validator,
        backend.name(),
        options.defaultTimeoutMs(),
        clock,
        objects.getIfAvailable(() -> SessionObjects.NONE));
  }

  @Bean
  AccountController accountController(
      Store store, Clock clock, ApiOptions options, ObjectMapper json) {
    return new AccountController(store, options, clock, new JsonBodies(json));
  }

  @Bean
  AdminController adminController(Store store, ApiOptions options, ObjectMapper json) {
    return new AdminController(
        store, options.maxActiveSessions(), options.maxKeysPerAccount(), new JsonBodies(json));
  }

  @Bean
  HealthController healthController(Store store, MachineBackend backend) {
    return new HealthController(store, backend);
  }
}
