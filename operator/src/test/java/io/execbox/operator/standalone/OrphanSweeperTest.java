package io.execbox.operator.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.MachineBackend;
import io.execbox.machines.MachineState;
import io.execbox.machines.MachineSummary;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OrphanSweeperTest {
  @Test
  void aReplicaThatDoesNotLeadNeitherListsNorDestroysMachines() {
    AtomicInteger calls = new AtomicInteger();
    MachineBackend backend =
        (MachineBackend)
            Proxy.newProxyInstance(
                MachineBackend.class.getClassLoader(),
                new Class<?>[] {MachineBackend.class},
                (proxy, method, args) -> {
                  calls.incrementAndGet();
                  if (method.getName().equals("list")) {
                    return List.of(
                        new MachineSummary(
                            "m1", "sess_00000000000000ff", "acct", MachineState.RUNNING));
                  }
                  throw new AssertionError("a follower called " + method.getName());
                });
    AtomicBoolean leading = new AtomicBoolean(false);
    OrphanSweeper follower = new OrphanSweeper(null, backend, Duration.ofSeconds(30), leading::get);
    assertThat(follower.sweep().block(Duration.ofSeconds(5))).isZero();
    assertThat(calls.get()).as("the backend was not asked anything").isZero();
  }
}
