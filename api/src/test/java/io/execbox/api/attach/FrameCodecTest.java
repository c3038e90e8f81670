package io.execbox.api.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
  private static ByteBuffer buf(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return ByteBuffer.wrap(b);
  }

  @Test
  void decodesStdin() throws Exception {
    Frame f = FrameCodec.decode(ByteBuffer.wrap(FrameCodec.stdin("hi\n".getBytes())));
    assertThat(f).isInstanceOf(Frame.Stdin.class);
    assertThat(((Frame.Stdin) f).data()).isEqualTo("hi\n".getBytes());
  }

  @Test
  void decodesEmptyStdin() throws Exception {
    Frame f = FrameCodec.decode(buf(1, 0, 0, 0, 0));
    assertThat(((Frame.Stdin) f).data()).isEmpty();
  }

  @Test
  void decodesStdinClose() throws Exception {
    assertThat(FrameCodec.decode(buf(6))).isInstanceOf(Frame.StdinClose.class);
  }

  @Test
  void rejectsLengthMismatchWith1007() {
    assertThatThrownBy(() -> FrameCodec.decode(buf(1, 0, 0, 0, 5, 'a')))
        .isInstanceOfSatisfying(
            FrameCodec.ProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(1007));
    assertThatThrownBy(() -> FrameCodec.decode(buf(1, 0, 0)))
        .isInstanceOfSatisfying(
            FrameCodec.ProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(1007));
    assertThatThrownBy(() -> FrameCodec.decode(buf(6, 0)))
        .isInstanceOfSatisfying(
            FrameCodec.ProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(1007));
    assertThatThrownBy(() -> FrameCodec.decode(buf()))
        .isInstanceOfSatisfying(
            FrameCodec.ProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(1007));
  }

  @Test
  void rejectsHugeLengthField() {
    assertThatThrownBy(() -> FrameCodec.decode(buf(1, 0xff, 0xff, 0xff, 0xff, 'a')))
        .isInstanceOfSatisfying(
            FrameCodec.ProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(1007));
  }

  @Test
  void rejectsUnknownAndServerTypesWith1003() {
    for (int t : new int[] {0, 2, 3, 4, 5, 7, 0x7f, 0xff}) {
      assertThatThrownBy(() -> FrameCodec.decode(buf(t, 0, 0, 0, 0)))
          .isInstanceOfSatisfying(
              FrameCodec.ProtocolException.class, e -> assertThat(e.closeCode()).isEqualTo(1003));
    }
  }

  @Test
  void encodesServerFrames() {
    assertThat(FrameCodec.exit(42)).containsExactly(4, 0, 0, 0, 42);
    assertThat(FrameCodec.exit(-1)).containsExactly(4, 0xff, 0xff, 0xff, 0xff);
    byte[] out = FrameCodec.data(Frame.STDOUT, "xabcx".getBytes(), 1, 3);
    assertThat(out).containsExactly(2, 0, 0, 0, 3, 'a', 'b', 'c');
    byte[] err = FrameCodec.error("bad");
    assertThat(err).containsExactly(5, 0, 0, 0, 3, 'b', 'a', 'd');
  }

  @Test
  void errorTextIsCutTo1024BytesOnACharacterBoundary() {
    String text = "é".repeat(1000); // 2000 bytes
    byte[] f = FrameCodec.error(text);
    int len = ByteBuffer.wrap(f, 1, 4).getInt();
    assertThat(len).isLessThanOrEqualTo(1024).isEqualTo(f.length - 5);
    String back = new String(f, 5, len, StandardCharsets.UTF_8);
    assertThat(back).isEqualTo("é".repeat(512));
  }
}
