package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The attach WebSocket of docs/API.md, byte for byte, against real containers. */
class AttachIT extends AttachContract {
  @Override
  TestServer server() {
    return TestServer.shared();
  }

  @Test
  void outputBeyondRetentionIsDroppedOldestFirstAndTheClientIsTold() {
    // the test server keeps 12 MiB per session; write 16 MiB before anyone attaches
    String id = c.create(Client.sh("head -c 16777216 /dev/zero; echo -n END"));
    c.awaitStatus(id, Duration.ofSeconds(60), "stopped");
    Client.Attach a = c.attach(id);
    a.awaitClose(Duration.ofSeconds(60));
    assertThat(a.errors).hasSize(1);
    long dropped = 16777216L + 3 - 12L * 1024 * 1024;
    assertThat(a.errors.get(0)).startsWith(dropped + " bytes of output were dropped");
    assertThat(a.types.get(0)).isEqualTo(5);
    assertThat(a.stdout.size()).isEqualTo(12 * 1024 * 1024);
    assertThat(a.out()).endsWith("END");
  }

  @Test
  void aSlowClientSlowsOnlyItself() {
    String id = c.create(Client.sh("read go; head -c 4194304 /dev/zero; echo done"));
    Client.Attach slow = c.attach(id, 1); // asks for one message and then nothing more
    Client.Attach fast = c.attach(id);
    fast.stdin("go\n");
    assertThat(fast.awaitClose(Duration.ofSeconds(60))).isEqualTo(1000);
    assertThat(fast.stdout.size()).isEqualTo(4194304 + 5);
    assertThat(slow.closed).isNotDone();
    assertThat(slow.stdout.size()).isLessThan(4194304);
    slow.request(Long.MAX_VALUE);
    slow.awaitClose(Duration.ofSeconds(60));
    assertThat(slow.stdout.size()).isEqualTo(4194304 + 5);
  }

  @Test
  void attachIsRefusedBeforeTheHandshakeForBadKeysAndUnknownSessions() {
    String id = c.create(Client.sh("true"));
    Client bad = new Client(c.base, "sk_" + "x".repeat(40));
    assertThat(bad.attach(id).handshakeStatus).isEqualTo(401);
    assertThat(c.attach("sess_00000000000000000000dead").handshakeStatus).isEqualTo(404);
    assertThat(c.attach("nonsense").handshakeStatus).isEqualTo(404);
  }
}
