package io.execbox.server;

import io.execbox.api.config.ApiOptions;
import java.time.Clock;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ExecboxProperties.class, DockerProperties.class})
class CommonConfiguration {
  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  /** What the api role and the attach WebSocket (served by an operator-only process too) need. */
  @Bean
  ApiOptions apiOptions(ExecboxProperties p) {
    return new ApiOptions(
        p.defaultTimeoutMs(),
        p.maxActiveSessions(),
        p.rateLimitPerMinute(),
        p.accountRateLimit(),
        p.maxKeysPerAccount(),
        p.adminToken(),
        p.advertiseAddress());
  }

  /**
   * Netty resources of this context only: with Reactor's global ones, closing one server in a JVM
   * would stop every other (tests run several; so may an embedding application).
   */
  @Bean
  ReactorResourceFactory reactorResourceFactory() {
    ReactorResourceFactory f = new ReactorResourceFactory();
    f.setUseGlobalResources(false);
    return f;
  }
}
