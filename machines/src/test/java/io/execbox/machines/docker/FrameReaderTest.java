package io.execbox.machines.docker;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameReaderTest {
  static byte[] frame(int type, byte[] payload) {
    byte[] f = new byte[8 + payload.length];
    f[0] = (byte) type;
    int n = payload.length;
    f[4] = (byte) (n >>> 24);
    f[5] = (byte) (n >>> 16);
    f[6] = (byte) (n >>> 8);
    f[7] = (byte) n;
    System.arraycopy(payload, 0, f, 8, n);
    return f;
  }

  static byte[] frame(int type, String text) {
    return frame(type, text.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
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

  static List<FrameReader.Frame> readAll(FrameReader r) throws IOException {
    List<FrameReader.Frame> out = new ArrayList<>();
    FrameReader.Frame f;
    while ((f = r.next()) != null) {
      out.add(f);
    }
    return out;
  }

  static String text(FrameReader.Frame f) {
    return new String(f.data(), StandardCharsets.UTF_8);
  }

  @Test
  void splitsStdoutAndStderrInOrder() throws IOException {
    byte[] stream =
        concat(frame(1, "out1\n"), frame(2, "err1\n"), frame(1, "out2\n"), frame(2, "err2\n"));
    List<FrameReader.Frame> frames = readAll(new FrameReader(trickle(stream)));
    assertThat(frames)
        .extracting(FrameReader.Frame::kind)
        .containsExactly(
            StreamKind.STDOUT, StreamKind.STDERR, StreamKind.STDOUT, StreamKind.STDERR);
    assertThat(frames)
        .extracting(FrameReaderTest::text)
        .containsExactly("out1\n", "err1\n", "out2\n", "err2\n");
  }

  @Test
  void emptyStreamEndsAtOnce() throws IOException {
    assertThat(new FrameReader(new ByteArrayInputStream(new byte[0])).next()).isNull();
  }

  @Test
  void skipsEmptyFramesAndTakesStdinTypeAsStdout() throws IOException {
    byte[] stream = concat(frame(1, new byte[0]), frame(0, "x"), frame(2, new byte[0]));
    List<FrameReader.Frame> frames = readAll(new FrameReader(new ByteArrayInputStream(stream)));
    assertThat(frames).hasSize(1);
    assertThat(frames.get(0).kind()).isEqualTo(StreamKind.STDOUT);
    assertThat(text(frames.get(0))).isEqualTo("x");
  }

  @Test
  void slicesALargeFrameWithoutLosingBytes() throws IOException {
    byte[] big = new byte[FrameReader.MAX_SLICE * 2 + 17];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    byte[] stream = concat(frame(2, big), frame(1, "tail"));
    List<FrameReader.Frame> frames = readAll(new FrameReader(new ByteArrayInputStream(stream)));
    assertThat(frames).hasSize(4);
    assertThat(frames.subList(0, 3)).allMatch(f -> f.kind() == StreamKind.STDERR);
    assertThat(frames.get(0).data()).hasSize(FrameReader.MAX_SLICE);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    frames.subList(0, 3).forEach(f -> joined.writeBytes(f.data()));
    assertThat(joined.toByteArray()).isEqualTo(big);
    assertThat(text(frames.get(3))).isEqualTo("tail");
  }

  @Test
  void lengthIsUnsignedBigEndian() throws IOException {
    byte[] payload = new byte[0x01_02];
    Arrays.fill(payload, (byte) 'a');
    FrameReader.Frame f = new FrameReader(new ByteArrayInputStream(frame(1, payload))).next();
    assertThat(f.data()).hasSize(258);
  }

  @Test
  void truncatedHeaderFails() {
    byte[] stream = concat(frame(1, "ok"), new byte[] {1, 0, 0});
    FrameReader r = new FrameReader(new ByteArrayInputStream(stream));
    assertThatThrownBy(() -> readAll(r)).isInstanceOf(EOFException.class);
  }

  @Test
  void truncatedPayloadDeliversWhatCameThenFails() throws IOException {
    byte[] full = frame(1, "hello world");
    byte[] cut = Arrays.copyOf(full, full.length - 6);
    FrameReader r = new FrameReader(new ByteArrayInputStream(cut));
    assertThat(text(r.next())).isEqualTo("hello");
    assertThatThrownBy(r::next).isInstanceOf(EOFException.class);
  }

  @Test
  void unknownStreamTypeFails() {
    FrameReader r = new FrameReader(new ByteArrayInputStream(frame(7, "x")));
    assertThatThrownBy(r::next).isInstanceOf(IOException.class).hasMessageContaining("type 7");
  }

  @Test
  void systemErrorFrameCarriesTheRuntimesMessage() {
    FrameReader r = new FrameReader(new ByteArrayInputStream(frame(3, "container died")));
    assertThatThrownBy(r::next).hasMessageContaining("container died");
  }
}
