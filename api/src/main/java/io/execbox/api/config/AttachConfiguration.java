package io.execbox.api.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.api.attach.AttachFilter;
import io.execbox.api.attach.AttachForwarder;
import io.execbox.api.attach.AttachHandler;
import io.execbox.api.attach.MessageTooBig;
import io.execbox.api.auth.AuthFilter;
import io.execbox.api.auth.ForwardTokens;
import io.execbox.api.auth.RateLimiter;
import io.execbox.api.problem.ProblemExceptionHandler;
import io.execbox.api.problem.Problems;
import io.execbox.api.problem.UnreadableRequests;
import io.execbox.machines.MachineBackend;
import io.execbox.machines.io.SessionIoHub;
import io.execbox.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Map;
import org.springframework.boot.web.embedded.netty.NettyServerCustomizer;
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
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * The attach WebSocket with what it needs (API keys, problems): part of the api role, and served by
 * an operator-only process too, so that api replicas can forward a client to the process holding
 * its session's stdio. Needs an {@link ApiOptions} bean.
 */
@Configuration(proxyBeanMethods = false)
public class AttachConfiguration {
  /** Largest WebSocket message: a 5-byte header and a 16 MiB − 1 payload. */
  public static final int MAX_WS_MESSAGE = 5 + (16 << 20) - 1;

  @Bean
  Problems problems(ObjectMapper json) {
    return new Problems(json);
  }

  /** What Netty refuses before any Spring code runs gets a problem body too. */
  @Bean
  NettyServerCustomizer unreadableRequestsAsProblems() {
    return server ->
        server.doOnChannelInit(
            (observer, channel, remote) -> {
              if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                channel
                    .pipeline()
                    .addAfter(
                        NettyPipeline.HttpCodec, UnreadableRequests.NAME, new UnreadableRequests());
              }
            });
  }

  @Bean
  @Order(-2)
  WebExceptionHandler problemExceptionHandler(Problems problems) {
    return new ProblemExceptionHandler(problems);
  }

  @Bean
  @Order(-100)
  WebFilter authFilter(Store store, Clock clock, ApiOptions options, ForwardTokens forwardTokens) {
    return new AuthFilter(
        store,
        options.rateLimitPerMinute(),
        options.accountRateLimitPerMinute(),
        new RateLimiter(options.rateLimitPerMinute(), clock),
        options.adminToken(),
        clock,
        forwardTokens);
  }

  /** Signs and checks forwarded attaches, with a secret the replicas share through the database. */
  @Bean
  ForwardTokens forwardTokens(Store store) {
    return new ForwardTokens(
        store.installationSecret("attach-forwarding").block(java.time.Duration.ofSeconds(30)));
  }

  @Bean
  @Order(-90)
  WebFilter attachFilter(Store store) {
    return new AttachFilter(store);
  }

  @Bean(destroyMethod = "close")
  AttachForwarder attachForwarder(ApiOptions options, ForwardTokens forwardTokens, Clock clock) {
    return new AttachForwarder(options.advertiseAddress(), forwardTokens, clock, MAX_WS_MESSAGE);
  }

  @Bean
  AttachHandler attachHandler(
      Store store,
      MachineBackend backend,
      SessionIoHub hub,
      AttachForwarder forwarder,
      MeterRegistry meters) {
    return new AttachHandler(store, backend, hub, forwarder, meters);
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
        return new HandshakeWebSocketService(MessageTooBig.around(strategy, MAX_WS_MESSAGE));
      }
    };
  }
}
