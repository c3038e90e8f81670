package io.execbox.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound for every test JVM of the server (installed by blockhound-junit-platform, found
 * through the ServiceLoader): a blocking call on a thread that must never block — Netty's event
 * loops, Reactor's parallel schedulers — fails where it happens and is recorded, and {@link
 * NoBlockingOnEventLoops} fails the test class that caused it, even when the error was swallowed on
 * its way (a WebSocket handler, a logged exception).
 *
 * <p>Allowed: console logging (a test JVM writes its log to a pipe; production logs the same way,
 * and a logger's write is not the kind of wait this check is for) and the JDK's reading of the
 * kernel's random pool for keys and ids, which never waits on Linux once booted.
 */
public final class EventLoopGuard implements BlockHoundIntegration {
  static final List<String> VIOLATIONS = new CopyOnWriteArrayList<>();

  @Override
  public void applyTo(BlockHound.Builder builder) {
    builder
        .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "writeBytes")
        .allowBlockingCallsInside("ch.qos.logback.core.OutputStreamAppender", "subAppend")
        .allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implNextBytes")
        .allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "ensureBufferValid")
        .allowBlockingCallsInside("java.security.SecureRandom", "nextBytes")
        // Netty loads its native transport once, when its first event loop is made
        .allowBlockingCallsInside("io.netty.util.internal.NativeLibraryLoader", "load")
        // Jackson builds a type's (de)serializer once, under a lock that a concurrent first use
        // waits on for a moment
        .allowBlockingCallsInside(
            "com.fasterxml.jackson.databind.deser.DeserializerCache",
            "_createAndCacheValueDeserializer")
        .allowBlockingCallsInside(
            "com.fasterxml.jackson.databind.ser.SerializerCache", "addAndResolveNonTypedSerializer")
        .blockingMethodCallback(
            method -> {
              Error e = new BlockingOperationError(method);
              StringBuilder where = new StringBuilder();
              int shown = 0;
              for (StackTraceElement f : new Throwable().getStackTrace()) {
                if (!f.getClassName().startsWith("reactor.blockhound")
                    && !f.getClassName().startsWith(EventLoopGuard.class.getName())
                    && shown++ < 25) {
                  where.append("\n    at ").append(f);
                }
              }
              VIOLATIONS.add(method + " on thread " + Thread.currentThread().getName() + where);
              throw e;
            });
  }
}
