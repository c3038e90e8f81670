package io.execbox.server;

import io.execbox.api.auth.ApiKeys;
import io.execbox.api.config.ApiConfiguration;
import io.execbox.api.config.DocumentsOffTheEventLoop;
import io.execbox.server.ExecboxProperties.Role;
import io.execbox.store.Store;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/** The api role, plus the start-up key and the active-sessions gauge. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExecbox(roles = Role.API)
@Import(ApiConfiguration.class)
class ApiRoleConfiguration {
  private static final Logger log = LoggerFactory.getLogger(ApiRoleConfiguration.class);

  /** Made once EXECBOX_BOOTSTRAP_KEY exists (or none is configured). */
  record BootstrapKey() {}

  /**
   * Makes sure EXECBOX_BOOTSTRAP_KEY exists, in the bootstrap account, while the context is being
   * built: before the web server takes its first request, so that a script that waits for {@code
   * /health} and then uses the key never gets a 401.
   */
  @Bean
  BootstrapKey bootstrapKey(Store store, ExecboxProperties properties) {
    // well-formed: the configuration tree checked it
    String key = properties.bootstrapKey();
    if (key == null) {
      return new BootstrapKey();
    }
    store
        .accounts()
        .ensureKey(
            "acct_bootstrap",
            "bootstrap",
            properties.maxActiveSessions(),
            "key_bootstrap",
            ApiKeys.hash(key),
            ApiKeys.prefix(key))
        .block(Duration.ofSeconds(30));
    log.info("bootstrap key {}… is ready", ApiKeys.prefix(key));
    return new BootstrapKey();
  }

  @Bean
  DocumentsOffTheEventLoop documentsOffTheEventLoop() {
    return new DocumentsOffTheEventLoop();
  }

  @Bean(destroyMethod = "dispose")
  Disposable activeSessionsGauge(Store store, MeterRegistry meters) {
    AtomicLong active = new AtomicLong();
    Gauge.builder("execbox.sessions.active", active, AtomicLong::get)
        .description("Sessions pending or running")
        .register(meters);
    return Flux.interval(Duration.ZERO, Duration.ofSeconds(5))
        .concatMap(t -> store.sessions().countActive().onErrorReturn(active.get()), 1)
        .subscribe(active::set);
  }
}
