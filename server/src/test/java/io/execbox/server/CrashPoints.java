package io.execbox.server;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineRef;
import io.execbox.machines.MachineSpec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

/**
 * Test wiring (added with {@code spring.main.sources}): a session whose spec has the env variable
 * {@link #MARK} stops at that point of its first reconcile and never goes on, as if its process
 * died there: {@link #AFTER_CREATE} (its machine exists but is not recorded yet) or {@link
 * #BEFORE_START} (attached, its command not yet released). {@link #reached} tells the test when the
 * point is reached; {@link #release} lets the stuck thread go (it then fails).
 *
 * <p>A session whose spec has the env variable {@link #OBSERVE_FAILURES} = N has the backend fail
 * (unavailable, a failure that may pass) on the first N observations after its machine was created:
 * its steps fail N times, then go through. {@link #observeFailures} counts them.
 */
@Configuration(proxyBeanMethods = false)
public class CrashPoints {
  static final String MARK = "EXECBOX_TEST_CRASH_POINT";
  static final String AFTER_CREATE = "after-create";
  static final String BEFORE_START = "before-start";
  static final String OBSERVE_FAILURES = "EXECBOX_TEST_OBSERVE_FAILURES";

  /** Observations still to fail, and how many failed, by session id. */
  private static final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();

  private static final Map<String, AtomicInteger> failed = new ConcurrentHashMap<>();

  /** How many observations of the session were made to fail. */
  static int observeFailures(String sessionId) {
    AtomicInteger n = failed.get(sessionId);
    return n == null ? 0 : n.get();
  }

  /** The point each marked session stops at, by session id. */
  private static final Map<String, String> points = new ConcurrentHashMap<>();

  private static final Set<String> stuck = ConcurrentHashMap.newKeySet();
  private static final Map<String, CountDownLatch> reached = new ConcurrentHashMap<>();
  private static final Map<String, CountDownLatch> released = new ConcurrentHashMap<>();

  /** A latch that opens once the session has reached its point and hangs there. */
  static CountDownLatch reached(String sessionId) {
    return latch(reached, sessionId);
  }

  static void release(String sessionId) {
    latch(released, sessionId).countDown();
  }

  private static CountDownLatch latch(Map<String, CountDownLatch> latches, String sessionId) {
    return latches.computeIfAbsent(sessionId, k -> new CountDownLatch(1));
  }

  @Bean
  static BeanPostProcessor stopAtTheCrashPoint() {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String name) {
        return bean instanceof MachineBackend ? crashing(bean) : bean;
      }
    };
  }

  private static Object crashing(Object real) {
    return Proxy.newProxyInstance(
        CrashPoints.class.getClassLoader(),
        ClassUtils.getAllInterfaces(real),
        (proxy, method, args) -> {
          if ("start".equals(method.getName())
              && args[0] instanceof MachineRef ref
              && at(ref.sessionId(), BEFORE_START)) {
            hang(ref.sessionId());
          }
          if ("observe".equals(method.getName())
              && args[0] instanceof String id
              && failuresLeft.containsKey(id)
              && failuresLeft.get(id).getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            failed.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            throw new MachineException(
                MachineException.Kind.UNAVAILABLE, "injected: the runtime does not answer");
          }
          Object result = invoke(real, method, args);
          if ("create".equals(method.getName()) && args[0] instanceof MachineSpec spec) {
            var env = spec.spec().getEnv();
            if (env != null && env.containsKey(MARK)) {
              points.putIfAbsent(spec.sessionId(), env.get(MARK));
            }
            if (env != null && env.containsKey(OBSERVE_FAILURES)) {
              failuresLeft.putIfAbsent(
                  spec.sessionId(), new AtomicInteger(Integer.parseInt(env.get(OBSERVE_FAILURES))));
            }
            if (at(spec.sessionId(), AFTER_CREATE)) {
              hang(spec.sessionId());
            }
          }
          return result;
        });
  }

  /** Whether the session stops at this point, the first time it gets there. */
  private static boolean at(String sessionId, String point) {
    return point.equals(points.get(sessionId)) && stuck.add(sessionId);
  }

  private static void hang(String sessionId) throws InterruptedException {
    reached(sessionId).countDown();
    latch(released, sessionId).await();
    throw new IllegalStateException("injected: this process died at its crash point");
  }

  private static Object invoke(Object real, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(real, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
