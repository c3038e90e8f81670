package io.execbox.machines.docker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal POSIX tar (ustar) writer for regular files and directories owned by root. A name that
 * fits neither ustar's 100-byte name nor its 155-byte prefix split, or is not ASCII, goes into a
 * PAX extended header ({@code path=}), which Docker's and Podman's extractors (Go's archive/tar)
 * read.
 */
final class TarWriter {
  static final int BLOCK = 512;
  private static final int NAME_LEN = 100;
  private static final int PREFIX_LEN = 155;
  private static final long MAX_SIZE = 077777777777L;

  private final OutputStream out;
  private boolean finished;

  TarWriter(OutputStream out) {
    this.out = out;
  }

  void addFile(String name, byte[] data, int mode, long mtimeSeconds) throws IOException {
    if (name.endsWith("/")) {
      throw new IllegalArgumentException("a file name cannot end with /: " + name);
    }
    entry(name, '0', data, mode, mtimeSeconds);
  }

  void addDirectory(String name, int mode, long mtimeSeconds) throws IOException {
    entry(name.endsWith("/") ? name : name + "/", '5', new byte[0], mode, mtimeSeconds);
  }

  /** Writes the two zero blocks that end an archive. */
  void finish() throws IOException {
    if (!finished) {
      out.write(new byte[2 * BLOCK]);
      finished = true;
    }
  }

  private void entry(String name, char type, byte[] data, int mode, long mtime) throws IOException {
    if (finished) {
      throw new IllegalStateException("archive already finished");
    }
    if (name.isEmpty() || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("bad tar entry name");
    }
    if (data.length > MAX_SIZE) {
      throw new IllegalArgumentException("file too large for tar: " + name);
    }
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    boolean ascii = nameBytes.length == name.length();
    int split = ascii ? splitPoint(nameBytes) : -2;
    if (split == -2) {
      byte[] pax = paxRecord("path", name);
      String shortName = "PaxHeaders/" + asciiTail(name, NAME_LEN - "PaxHeaders/".length());
      writeHeader(
          shortName.getBytes(StandardCharsets.US_ASCII), null, 'x', pax.length, 0644, mtime);
      writePadded(pax);
      byte[] fallback = asciiTail(name, NAME_LEN).getBytes(StandardCharsets.US_ASCII);
      writeHeader(fallback, null, type, data.length, mode, mtime);
    } else if (split == -1) {
      writeHeader(nameBytes, null, type, data.length, mode, mtime);
    } else {
      writeHeader(
          Arrays.copyOfRange(nameBytes, split + 1, nameBytes.length),
          Arrays.copyOfRange(nameBytes, 0, split),
          type,
          data.length,
          mode,
          mtime);
    }
    writePadded(data);
  }

  /** -1: fits the name field; n: split at the slash at n; -2: needs PAX. */
  static int splitPoint(byte[] name) {
    if (name.length <= NAME_LEN) {
      return -1;
    }
    // Directory names end with '/', which must stay in the name part; search from the right.
    int limit = Math.min(name.length - 2, PREFIX_LEN);
    for (int i = limit; i > 0; i--) {
      if (name[i] == '/' && name.length - i - 1 <= NAME_LEN) {
        return i;
      }
    }
    return -2;
  }

  private void writeHeader(byte[] name, byte[] prefix, char type, long size, int mode, long mtime)
      throws IOException {
    byte[] h = new byte[BLOCK];
    System.arraycopy(name, 0, h, 0, Math.min(name.length, NAME_LEN));
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, Math.max(0, mtime));
    Arrays.fill(h, 148, 156, (byte) ' ');
    h[156] = (byte) type;
    ascii(h, 257, "ustar\0");
    ascii(h, 263, "00");
    ascii(h, 265, "root");
    ascii(h, 297, "root");
    if (prefix != null) {
      System.arraycopy(prefix, 0, h, 345, prefix.length);
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    // Six octal digits, NUL, space: the form every reader accepts.
    String chk = String.format("%06o", sum);
    ascii(h, 148, chk);
    h[154] = 0;
    h[155] = ' ';
    out.write(h);
  }

  private void writePadded(byte[] data) throws IOException {
    out.write(data);
    int pad = (BLOCK - data.length % BLOCK) % BLOCK;
    if (pad > 0) {
      out.write(new byte[pad]);
    }
  }

  /** One PAX record, "LEN key=value\n", where LEN counts the whole record, itself included. */
  static byte[] paxRecord(String key, String value) {
    int body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
    int len = body + Integer.toString(body).length();
    if (Integer.toString(len).length() != Integer.toString(body).length()) {
      len = body + Integer.toString(len).length();
    }
    return (len + " " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static String asciiTail(String name, int max) {
    StringBuilder b = new StringBuilder();
    for (char c : name.toCharArray()) {
      b.append(c < 0x80 && c >= 0x20 ? c : '_');
    }
    String s = b.toString();
    return s.length() <= max ? s : s.substring(s.length() - max);
  }

  private static void octal(byte[] h, int off, int len, long value) {
    String s = Long.toOctalString(value);
    if (s.length() > len - 1) {
      throw new IllegalArgumentException("value too large for a tar header field: " + value);
    }
    String padded = "0".repeat(len - 1 - s.length()) + s;
    ascii(h, off, padded);
    h[off + len - 1] = 0;
  }

  private static void ascii(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }
}
