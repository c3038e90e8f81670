package io.execbox.server;

import io.execbox.api.sessions.SessionObjects;
import io.execbox.crds.SessionSpec;
import io.execbox.store.SessionRow;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.DataAccessResourceFailureException;
import reactor.core.publisher.Mono;

/**
 * Test wiring (added with {@code spring.main.sources}): a create whose spec has the env variable
 * {@link #MARK} fails as a lost commit would, after its Session resource was written.
 */
@Configuration(proxyBeanMethods = false)
public class FailingCommit {
  static final String MARK = "EXECBOX_TEST_FAIL_COMMIT";

  @Bean
  static BeanPostProcessor failTheCommitAfterTheResource() {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String name) {
        return bean instanceof SessionObjects real ? failing(real) : bean;
      }
    };
  }

  private static SessionObjects failing(SessionObjects real) {
    return new SessionObjects() {
      @Override
      public Mono<Void> created(SessionRow row, SessionSpec spec) {
        boolean fail = spec.getEnv() != null && spec.getEnv().containsKey(MARK);
        return real.created(row, spec)
            .then(
                fail
                    ? Mono.error(
                        new DataAccessResourceFailureException(
                            "injected: the connection was lost before the commit"))
                    : Mono.empty());
      }

      @Override
      public Mono<Void> abandoned(SessionRow row) {
        return real.abandoned(row);
      }

      @Override
      public Mono<Void> stopRequested(SessionRow row) {
        return real.stopRequested(row);
      }

      @Override
      public Mono<Void> killRequested(SessionRow row) {
        return real.killRequested(row);
      }
    };
  }
}
