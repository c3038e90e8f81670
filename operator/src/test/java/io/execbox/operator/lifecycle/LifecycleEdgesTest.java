package io.execbox.operator.lifecycle;

import static io.execbox.operator.lifecycle.LifecycleTest.DEADLINE;
import static io.execbox.operator.lifecycle.LifecycleTest.NOW;
import static io.execbox.operator.lifecycle.LifecycleTest.POLICY;
import static io.execbox.operator.lifecycle.LifecycleTest.REF;
import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.MachineState;
import io.execbox.machines.Observation;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The decisions at the edges of the lifecycle: right after create, and on adopting a resource. */
class LifecycleEdgesTest {
  static final Instant BACKEND_STARTED = NOW.minusMillis(300);

  static Observation seen(MachineState st, Instant startedAt) {
    return new Observation(st, REF, null, false, null, startedAt, null, List.of());
  }

  static Stream<Arguments> afterCreate() {
    return Stream.of(
        Arguments.of(
            "running, the backend says since when",
            seen(MachineState.RUNNING, BACKEND_STARTED),
            DEADLINE,
            new Action.RecordRunning(BACKEND_STARTED)),
        Arguments.of(
            "running, the backend does not say",
            seen(MachineState.RUNNING, null),
            DEADLINE,
            new Action.RecordRunning(NOW)),
        Arguments.of(
            "already exited counts as having run",
            seen(MachineState.EXITED, BACKEND_STARTED),
            DEADLINE,
            new Action.RecordRunning(BACKEND_STARTED)),
        Arguments.of(
            "being prepared: look after the poll",
            seen(MachineState.STARTING, null),
            DEADLINE,
            new Action.Wait(NOW.plus(POLICY.poll()))),
        Arguments.of(
            "being prepared with the deadline sooner than the poll",
            seen(MachineState.STARTING, null),
            NOW.plusMillis(100),
            new Action.Wait(NOW.plusMillis(100))),
        Arguments.of(
            "created but not started: look again at once",
            seen(MachineState.CREATED, null),
            DEADLINE,
            new Action.Wait(NOW)),
        Arguments.of(
            "broken: look again at once (the next step fails it)",
            new Observation(MachineState.BROKEN, REF, null, false, "x", null, null, List.of()),
            DEADLINE,
            new Action.Wait(NOW)),
        Arguments.of(
            "gone at once: look again at once",
            Observation.absent(),
            DEADLINE,
            new Action.Wait(NOW)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void afterCreate(String name, Observation obs, Instant deadline, Action expected) {
    assertThat(Lifecycle.afterCreate(obs, NOW, deadline, POLICY)).isEqualTo(expected);
  }

  static Stream<Arguments> adoptedCreation() {
    return Stream.of(
        Arguments.of("unknown creation time", null, NOW),
        Arguments.of("created just now", NOW.minusSeconds(1), NOW.minusSeconds(1)),
        Arguments.of("created at the slack's edge", NOW.minusSeconds(5), NOW.minusSeconds(5)),
        Arguments.of("created long before (operator was down)", NOW.minusSeconds(6), NOW),
        Arguments.of("clock skew: created after now", NOW.plusSeconds(1), NOW.plusSeconds(1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void adoptedCreation(String name, Instant resourceCreated, Instant expected) {
    assertThat(Lifecycle.adoptedCreation(resourceCreated, NOW)).isEqualTo(expected);
  }
}
