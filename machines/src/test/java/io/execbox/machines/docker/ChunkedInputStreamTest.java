package io.execbox.machines.docker;

import static io.execbox.machines.docker.FrameReaderTest.concat;
import static io.execbox.machines.docker.FrameReaderTest.frame;
import static io.execbox.machines.docker.FrameReaderTest.trickle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.machines.StreamKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkedInputStreamTest {
  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Encodes {@code data} as chunks of {@code size} bytes. */
  static byte[] chunked(byte[] data, int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < data.length; i += size) {
      int n = Math.min(size, data.length - i);
      out.writeBytes(ascii(Integer.toHexString(n) + "\r\n"));
      out.write(data, i, n);
      out.writeBytes(ascii("\r\n"));
    }
    out.writeBytes(ascii("0\r\n\r\n"));
    return out.toByteArray();
  }

  static String decode(InputStream in) throws IOException {
    return new String(new ChunkedInputStream(in).readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  @Test
  void decodesChunks() throws IOException {
    String body = "4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";
    assertThat(decode(new ByteArrayInputStream(ascii(body))))
        .isEqualTo("Wikipedia in \r\n\r\nchunks.");
  }

  @Test
  void ignoresExtensionsAndTrailers() throws IOException {
    String body = "5;name=value\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n";
    assertThat(decode(new ByteArrayInputStream(ascii(body)))).isEqualTo("hello");
  }

  @Test
  void acceptsUpperCaseHexAndEndWithoutFinalEmptyLine() throws IOException {
    String body = "1A\r\n" + "z".repeat(26) + "\r\n0\r\n";
    assertThat(decode(new ByteArrayInputStream(ascii(body)))).isEqualTo("z".repeat(26));
  }

  @Test
  void readsNothingBeyondTheLastChunk() throws IOException {
    ByteArrayInputStream in = new ByteArrayInputStream(ascii("2\r\nok\r\n0\r\n\r\nNEXT"));
    assertThat(decode(in)).isEqualTo("ok");
    assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("NEXT");
  }

  @Test
  void survivesOneByteReads() throws IOException {
    byte[] data = new byte[5000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    byte[] decoded = new ChunkedInputStream(trickle(chunked(data, 777))).readAllBytes();
    assertThat(decoded).isEqualTo(data);
  }

  @Test
  void endInsideAChunkFails() {
    InputStream in = new ByteArrayInputStream(ascii("a\r\nonly5"));
    assertThatThrownBy(() -> new ChunkedInputStream(in).readAllBytes())
        .isInstanceOf(EOFException.class);
  }

  @Test
  void endBeforeLastChunkFails() {
    InputStream in = new ByteArrayInputStream(ascii("2\r\nok\r\n"));
    assertThatThrownBy(() -> new ChunkedInputStream(in).readAllBytes())
        .isInstanceOf(EOFException.class);
  }

  @Test
  void badSizeLineFails() {
    InputStream in = new ByteArrayInputStream(ascii("zz\r\nxx\r\n0\r\n\r\n"));
    assertThatThrownBy(() -> new ChunkedInputStream(in).readAllBytes())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("chunk size");
  }

  @Test
  void missingCrlfAfterChunkFails() {
    InputStream in = new ByteArrayInputStream(ascii("2\r\nokXX\r\n0\r\n\r\n"));
    assertThatThrownBy(() -> new ChunkedInputStream(in).readAllBytes())
        .isInstanceOf(IOException.class);
  }

  @Test
  void framesMaySpanChunkBoundaries() throws IOException {
    // Podman's logs come chunked, and chunk edges fall anywhere inside the frames.
    byte[] frames = concat(frame(1, "first line\n"), frame(2, "oops\n"), frame(1, "second\n"));
    FrameReader r =
        new FrameReader(new ChunkedInputStream(new ByteArrayInputStream(chunked(frames, 5))));
    List<FrameReader.Frame> all = FrameReaderTest.readAll(r);
    assertThat(all)
        .extracting(FrameReader.Frame::kind)
        .containsExactly(StreamKind.STDOUT, StreamKind.STDERR, StreamKind.STDOUT);
    assertThat(all)
        .extracting(FrameReaderTest::text)
        .containsExactly("first line\n", "oops\n", "second\n");
  }
}
