package io.execbox.machines.fly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.machines.MachineException;
import org.junit.jupiter.api.Test;

class FlyMachineConfigTest {
  final ObjectMapper mapper = new ObjectMapper();

  ObjectNode guest(int cpuMillis, int memoryMB) {
    ObjectNode g = mapper.createObjectNode();
    FlyMachineConfig.guest(g, cpuMillis, memoryMB);
    return g;
  }

  @Test
  void memoryIsRoundedUpToFlysStepsAndCpusToWholeOnes() {
    assertThat(guest(1000, 300).toString())
        .isEqualTo("{\"cpu_kind\":\"shared\",\"cpus\":1,\"memory_mb\":512}");
    assertThat(guest(1500, 256).path("cpus").asInt()).isEqualTo(2);
    assertThat(guest(250, 1).path("memory_mb").asInt()).isEqualTo(256);
  }

  @Test
  void memoryBeyondTwoGigabytesPerSharedCpuTakesMoreCpus() {
    ObjectNode g = guest(500, 3000);
    assertThat(g.path("memory_mb").asInt()).isEqualTo(3072);
    assertThat(g.path("cpus").asInt()).isEqualTo(2);
  }

  @Test
  void moreThanFlyOffersFailsTheSession() {
    assertThatThrownBy(() -> guest(9000, 256))
        .isInstanceOf(MachineException.class)
        .satisfies(e -> assertThat(((MachineException) e).kind().permanent()).isTrue());
  }
}
