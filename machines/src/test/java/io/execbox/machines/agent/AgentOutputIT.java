package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.machines.agent.AgentTestClient.Received;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command's output through the real agent: every byte, once, in order, on its own stream. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AgentOutputIT {
  static final int MIB = 1 << 20;

  @TempDir Path tmp;

  static String lines(String prefix, int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int i = from; i <= to; i++) {
      b.append(prefix).append(i).append('\n');
    }
    return b.toString();
  }

  static String sha256(byte[] b) {
    return HexFormat.of().formatHex(AgentTestClient.sha256().digest(b));
  }

  @Test
  void twoStreamsWrittenAtOnceArriveByteExactAndApartInTwentyRuns() throws Exception {
    String out = sha256(lines("", 1, 700000).getBytes(StandardCharsets.US_ASCII));
    String err = sha256(lines("e", 1, 300000).getBytes(StandardCharsets.US_ASCII));
    int switches = 0;
    for (int run = 0; run < 20; run++) {
      try (LocalAgent agent =
              LocalAgent.start("sh", "-c", "seq 1 700000 & seq 1 300000 | sed s/^/e/ >&2; wait");
          AgentTestClient c = agent.connect()) {
        c.resume(0);
        Received r = c.readToExit(0, true);
        assertThat(r.exit.code()).isZero();
        assertThat(sha256(r.stdout.toByteArray())).as("stdout of run %d", run).isEqualTo(out);
        assertThat(sha256(r.stderr.toByteArray())).as("stderr of run %d", run).isEqualTo(err);
        assertThat(r.errors).isEmpty();
        switches += r.runs.size() - 1;
        assertThat(agent.exitCode(Duration.ofSeconds(10))).isZero();
      }
    }
    // both streams were written at once: their bytes came interleaved, not one stream after the
    // other
    assertThat(switches).as("stream switches in 20 runs").isGreaterThan(40);
  }

  @Test
  void writesApartInTimeKeepTheirOrderAcrossTheStreams() throws Exception {
    try (LocalAgent agent =
            LocalAgent.start(
                "sh",
                "-c",
                "echo o1; sleep 0.2; echo e1 >&2; sleep 0.2; echo o2; sleep 0.2; echo e2 >&2");
        AgentTestClient c = agent.connect()) {
      c.resume(0);
      Received r = c.readToExit(0, true);
      assertThat(r.runs).containsExactly("1:o1\n", "2:e1\n", "1:o2\n", "2:e2\n");
    }
  }

  @Test
  void aCommandWaitsWhileNobodyAcknowledgesAndAResumedConnectionGetsEveryByteOnce()
      throws Exception {
    Path file = tmp.resolve("written.bin");
    long total = 50_000_000;
    try (LocalAgent agent =
        LocalAgent.start(
            List.of("--retain", String.valueOf(MIB)),
            "sh",
            "-c",
            "head -c " + total + " /dev/urandom | tee " + file)) {
      MessageDigest whole = AgentTestClient.sha256();
      long acked;
      byte[] unacked;
      try (AgentTestClient a = agent.connect()) {
        a.resume(0);
        long next = 0;
        while (next < 2 * MIB) {
          AgentFrames.Output o = output(a);
          assertThat(o.offset()).isEqualTo(next);
          whole.update(o.data());
          next = o.end();
          a.ack(next);
        }
        acked = next;
        // no more ACKs: the agent sends what it may keep unacknowledged, half of --retain past the
        // ACK (the other half holds acknowledged output for a control plane that reconnects), and
        // stops
        ByteArrayOutputStream beyond = new ByteArrayOutputStream();
        while (next < acked + MIB / 2) {
          AgentFrames.Output o = output(a);
          assertThat(o.offset()).isEqualTo(next);
          beyond.writeBytes(o.data());
          next = o.end();
        }
        assertThat(next).as("output sent without an ACK").isEqualTo(acked + MIB / 2);
        assertThat(a.nextWithin(Duration.ofSeconds(1))).as("a frame past --retain").isNull();
        // and the command is stopped on its next write: what it wrote stays where it was
        long before = Files.size(file);
        LocalAgent.sleep(Duration.ofSeconds(1));
        long after = Files.size(file);
        assertThat(after).as("bytes the command wrote, 1 s apart").isEqualTo(before);
        // the agent's ring plus what the pipes and tee hold, far from the 50 MB
        assertThat(after).isLessThan(acked + MIB + MIB);
        unacked = beyond.toByteArray();
      }
      // a new connection resumes from the last ACK and gets every byte from there, once
      try (AgentTestClient b = agent.connect()) {
        b.resume(acked);
        long next = acked;
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        AgentFrames.Exit exit = null;
        long lastAck = acked;
        while (exit == null) {
          AgentFrame f = b.next();
          assertThat(f).as("a frame before EXIT").isNotNull();
          if (f.type() == AgentFrames.EXIT) {
            exit = AgentFrames.exit(f.payload());
            continue;
          }
          assertThat(f.type()).isEqualTo(AgentFrames.OUTPUT);
          AgentFrames.Output o = AgentFrames.output(f.payload());
          assertThat(o.offset()).as("the offset after %d", next).isEqualTo(next);
          if (again.size() < unacked.length) {
            again.write(o.data(), 0, Math.min(o.data().length, unacked.length - again.size()));
          }
          whole.update(o.data());
          next = o.end();
          if (next - lastAck >= 256 * 1024) {
            b.ack(next);
            lastAck = next;
          }
        }
        assertThat(again.toByteArray()).as("bytes sent again past the last ACK").isEqualTo(unacked);
        assertThat(exit.end()).isEqualTo(total).isEqualTo(next);
        assertThat(exit.code()).isZero();
        b.ack(exit.end());
      }
      assertThat(HexFormat.of().formatHex(whole.digest()))
          .as("the sha256 of what the command wrote")
          .isEqualTo(sha256(Files.readAllBytes(file)));
      assertThat(agent.exitCode(Duration.ofSeconds(10))).isZero();
    }
  }

  @Test
  void aCursorBelowWhatIsKeptIsToldOfTheGapByTheNextOffset() throws Exception {
    // 3 MiB through a 1 MiB ring, all acknowledged: the first 2 MiB are no longer kept
    try (LocalAgent agent =
            LocalAgent.start(
                List.of("--retain", String.valueOf(MIB)),
                "sh",
                "-c",
                "head -c 3145728 /dev/zero; read x");
        AgentTestClient a = agent.connect()) {
      a.resume(0);
      long next = 0;
      while (next < 3 * MIB) {
        next = output(a).end();
        a.ack(next);
      }
      try (AgentTestClient b = agent.connect()) {
        b.resume(0);
        AgentFrames.Output first = output(b);
        // the ring holds at most 1 MiB and forgets acknowledged bytes a read's room at a time
        assertThat(first.offset())
            .as("the oldest byte still kept")
            .isBetween(2L * MIB, 2L * MIB + 65536);
      }
    }
  }

  private static AgentFrames.Output output(AgentTestClient c) throws Exception {
    AgentFrame f = c.next();
    assertThat(f).isNotNull();
    assertThat(f.type()).as("frame %s", f).isEqualTo(AgentFrames.OUTPUT);
    return AgentFrames.output(f.payload());
  }
}
