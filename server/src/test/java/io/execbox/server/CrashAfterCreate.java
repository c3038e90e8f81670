package io.execbox.server;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineSpec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * Test wiring (added with {@code spring.main.sources}): the first create of a session whose spec
 * has the env variable {@link #MARK} creates its machine and then never returns, as if the process
 * died between creating the machine and recording it. {@link #created} tells the test when that
 * point is reached; {@link #releaseAll} lets the stuck threads go (they then fail).
 */
@Configuration(proxyBeanMethods = false)
public class CrashAfterCreate {
  static final String MARK = "EXECBOX_TEST_CRASH_AFTER_CREATE";

  private static final Set<String> stuck = ConcurrentHashMap.newKeySet();
  private static final Map<String, CountDownLatch> reached = new ConcurrentHashMap<>();
  private static final CountDownLatch release = new CountDownLatch(1);

  /** A latch that opens once the session's machine exists and its create hangs. */
  static CountDownLatch created(String sessionId) {
    return reached.computeIfAbsent(sessionId, k -> new CountDownLatch(1));
  }

  static void releaseAll() {
    release.countDown();
  }

  @Bean
  static BeanPostProcessor hangAfterTheMachineIsCreated() {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String name) {
        return bean instanceof MachineBackend ? hanging(bean) : bean;
      }
    };
  }

  private static Object hanging(Object real) {
    Class<?>[] interfaces = ClassUtils.getAllInterfaces(real);
    return Proxy.newProxyInstance(
        CrashAfterCreate.class.getClassLoader(),
        interfaces,
        (proxy, method, args) -> {
          Object result;
          try {
            result = method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if ("create".equals(method.getName())
              && args[0] instanceof MachineSpec spec
              && spec.spec().getEnv() != null
              && spec.spec().getEnv().containsKey(MARK)
              && stuck.add(spec.sessionId())) {
            created(spec.sessionId()).countDown();
            release.await();
            throw new IllegalStateException("injected: this process died after the create");
          }
          return result;
        });
  }
}
