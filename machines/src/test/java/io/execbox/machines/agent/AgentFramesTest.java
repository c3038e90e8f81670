package io.execbox.machines.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.machines.StreamKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class AgentFramesTest {
  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  /** Hands out at most one byte per read, as a slow socket may. */
  static InputStream trickle(byte[] data) {
    return new FilterInputStream(new ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1));
      }
    };
  }

  @Test
  void framesAreTypeChannelLengthAndPayloadBigEndian() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AgentFrames.write(out, AgentFrames.ACK, 0x01020304, AgentFrames.ack(0x1122334455667788L));
    assertThat(out.toByteArray()).isEqualTo(hex("03 01020304 00000008 1122334455667788"));
  }

  @Test
  void eachRequestPayloadIsLaidOutAsTheProtocolSays() {
    byte[] secret = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    assertThat(AgentFrames.hello(secret)).isEqualTo(hex("0001 30313233343536373839616263646566"));
    assertThat(AgentFrames.resume(70000)).isEqualTo(hex("0000000000011170"));
    assertThat(AgentFrames.signal(15)).isEqualTo(hex("0f"));
    assertThat(AgentFrames.stdin("xhello".getBytes(StandardCharsets.US_ASCII), 1, 5))
        .isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void requestsOutsideTheProtocolAreRefusedBeforeTheyAreSent() {
    assertThatThrownBy(() -> AgentFrames.stdin(new byte[70000], 0, 65537))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AgentFrames.signal(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AgentFrames.ack(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AgentFrames.encode(AgentFrames.STDIN, 0, new byte[(1 << 20) + 1]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eachReplyPayloadIsParsed() throws IOException {
    assertThat(AgentFrames.welcome(hex("0001 00003039")))
        .isEqualTo(new AgentFrames.Welcome(1, 12345));
    assertThat(AgentFrames.welcome(hex("0001 ffffffff")).pid()).isEqualTo(4294967295L);
    assertThat(AgentFrames.welcome(hex("0001 00003039")).knowsStdin()).isFalse();
    assertThat(AgentFrames.welcome(hex("0001 00003039 0000000000100001 01")))
        .isEqualTo(new AgentFrames.Welcome(1, 12345, (1 << 20) + 1, true));
    AgentFrames.Output o = AgentFrames.output(hex("0000000000000010 02 6869"));
    assertThat(o.offset()).isEqualTo(16);
    assertThat(o.stream()).isEqualTo(StreamKind.STDERR);
    assertThat(o.data()).isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));
    assertThat(o.end()).isEqualTo(18);
    assertThat(AgentFrames.exit(hex("0000000000000012 ffffffff")))
        .isEqualTo(new AgentFrames.Exit(18, -1));
    assertThat(AgentFrames.exit(hex("0000000000000000 0000008f")).code()).isEqualTo(143);
    assertThat(AgentFrames.exit(hex("0000000000000000 00000089 01")))
        .isEqualTo(new AgentFrames.Exit(0, 137, true));
    assertThat(AgentFrames.exit(hex("0000000000000000 00000089 00")).oomKilled()).isFalse();
    assertThat(AgentFrames.stdinTaken(hex("0000000000100000"))).isEqualTo(1 << 20);
    assertThat(AgentFrames.error("stdin is closed".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("stdin is closed");
  }

  @Test
  void malformedReplyPayloadsAreErrors() {
    assertThatThrownBy(() -> AgentFrames.welcome(new byte[5])).hasMessageContaining("WELCOME");
    assertThatThrownBy(() -> AgentFrames.welcome(new byte[14])).hasMessageContaining("WELCOME");
    assertThatThrownBy(() -> AgentFrames.exit(new byte[14])).hasMessageContaining("EXIT");
    assertThatThrownBy(() -> AgentFrames.exit(new byte[11])).hasMessageContaining("EXIT");
    assertThatThrownBy(() -> AgentFrames.stdinTaken(new byte[4]))
        .hasMessageContaining("STDIN_TAKEN");
    assertThatThrownBy(() -> AgentFrames.output(new byte[8])).hasMessageContaining("OUTPUT");
    assertThatThrownBy(() -> AgentFrames.output(hex("0000000000000000 03 00")))
        .hasMessageContaining("stream 3");
    assertThatThrownBy(() -> AgentFrames.output(new byte[9 + 65537]))
        .hasMessageContaining("OUTPUT");
  }

  @Test
  void framesReadBackAsWrittenEvenOneByteAtATime() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] big = new byte[1 << 20];
    Arrays.fill(big, (byte) 7);
    AgentFrames.write(out, AgentFrames.STDIN_CLOSE, 0, new byte[0]);
    AgentFrames.write(out, AgentFrames.OUTPUT, -1, big);
    AgentFrames.write(out, 0xff, 3, new byte[] {1});
    InputStream in = trickle(out.toByteArray());

    AgentFrame a = AgentFrames.read(in);
    assertThat(a.type()).isEqualTo(AgentFrames.STDIN_CLOSE);
    assertThat(a.payload()).isEmpty();
    AgentFrame b = AgentFrames.read(in);
    assertThat(b.type()).isEqualTo(AgentFrames.OUTPUT);
    assertThat(Integer.toUnsignedLong(b.channel())).isEqualTo(4294967295L);
    assertThat(b.payload()).isEqualTo(big);
    AgentFrame c = AgentFrames.read(in);
    assertThat(c.type()).isEqualTo(0xff);
    assertThat(c.channel()).isEqualTo(3);
    assertThat(AgentFrames.read(in)).isNull();
  }

  @Test
  void aStreamThatEndsInsideAFrameIsAnError() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AgentFrames.write(out, AgentFrames.EXIT, 0, new byte[12]);
    byte[] whole = out.toByteArray();

    assertThatThrownBy(() -> AgentFrames.read(trickle(Arrays.copyOf(whole, 5))))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("header");
    assertThatThrownBy(() -> AgentFrames.read(trickle(Arrays.copyOf(whole, whole.length - 1))))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("EXIT");
  }

  @Test
  void aFrameOverOneMebibyteIsRefusedBeforeItsPayloadIsRead() {
    byte[] header = hex("82 00000000 00100001");
    assertThatThrownBy(() -> AgentFrames.read(new ByteArrayInputStream(header)))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(EOFException.class)
        .hasMessageContaining("OUTPUT frame announces 1048577 bytes");
    byte[] huge = hex("85 00000000 ffffffff");
    assertThatThrownBy(() -> AgentFrames.read(new ByteArrayInputStream(huge)))
        .hasMessageContaining("4294967295");
  }

  @Test
  void aFrameShowsItsTypeAndSizeButNotItsPayload() {
    AgentFrame f =
        new AgentFrame(AgentFrames.HELLO, 0, AgentFrames.hello("secret-secret-secret".getBytes()));
    assertThat(f.toString()).isEqualTo("HELLO(channel 0, 22 bytes)").doesNotContain("secret");
    assertThat(AgentFrames.name(0x7f)).isEqualTo("0x7f");
  }
}
