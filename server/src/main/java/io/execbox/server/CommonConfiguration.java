package io.execbox.server;

import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;

@Configuration(proxyBeanMethods = false)
class CommonConfiguration {
  @Bean
  Clock clock() {
    return Clock.systemUTC();
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
