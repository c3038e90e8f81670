package io.execbox.operator.lifecycle;

import java.time.Duration;

/**
 * Timings of the lifecycle.
 *
 * @param stopGrace time between SIGTERM and SIGKILL after a stop
 * @param poll how often a running machine is observed when no event says it changed
 * @param maxCreateAttempts transient create failures tolerated before the session fails
 */
public record LifecyclePolicy(Duration stopGrace, Duration poll, int maxCreateAttempts) {}
