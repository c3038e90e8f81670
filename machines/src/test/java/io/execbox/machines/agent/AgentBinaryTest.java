package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class AgentBinaryTest {
  @Test
  void theBinaryIsAStaticExecutableOfTensOfKibibytes() {
    byte[] b = AgentBinary.bytes();
    // ELF, 64-bit, little-endian
    assertThat(Arrays.copyOf(b, 6)).isEqualTo(new byte[] {0x7f, 'E', 'L', 'F', 2, 1});
    assertThat(AgentBinary.size()).isEqualTo(b.length);
    // musl keeps it small; the gcc -static fallback of agent/build.sh is about 700 KiB
    assertThat(b.length).isBetween(8 * 1024, 1024 * 1024);
  }

  @Test
  void theHashIsTheBytesSha256() throws Exception {
    byte[] b = AgentBinary.bytes();
    assertThat(AgentBinary.sha256())
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)));
  }

  @Test
  void callersGetCopiesTheyCannotSpoil() {
    byte[] b = AgentBinary.bytes();
    b[0] = 0;
    assertThat(AgentBinary.bytes()[0]).isEqualTo((byte) 0x7f);
  }
}
