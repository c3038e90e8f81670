package io.execbox.machines.docker;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads back what TarWriter writes, checking the format as it goes: test code only. */
final class TarReader {
  record Entry(
      String name, char type, int mode, long size, long mtime, String uname, byte[] data) {}

  private TarReader() {}

  static List<Entry> read(byte[] tar) {
    if (tar.length % 512 != 0) {
      throw new AssertionError("archive length " + tar.length + " is not a multiple of 512");
    }
    List<Entry> out = new ArrayList<>();
    int pos = 0;
    String paxPath = null;
    while (true) {
      byte[] h = Arrays.copyOfRange(tar, pos, pos + 512);
      if (allZero(h)) {
        byte[] next = Arrays.copyOfRange(tar, pos + 512, pos + 1024);
        if (!allZero(next)) {
          throw new AssertionError("one zero block, then data");
        }
        if (pos + 1024 != tar.length) {
          throw new AssertionError("data after the end-of-archive blocks");
        }
        return out;
      }
      checkChecksum(h);
      if (!str(h, 257, 6).equals("ustar") || !str(h, 263, 2).equals("00")) {
        throw new AssertionError("not a POSIX ustar header");
      }
      String name = str(h, 0, 100);
      String prefix = str(h, 345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
      char type = (char) h[156];
      long size = octal(h, 124, 12);
      byte[] data = Arrays.copyOfRange(tar, pos + 512, pos + 512 + (int) size);
      pos += 512 + (int) ((size + 511) / 512 * 512);
      if (type == 'x') {
        paxPath = paxPath(new String(data, StandardCharsets.UTF_8));
        continue;
      }
      if (paxPath != null) {
        name = paxPath;
        paxPath = null;
      }
      out.add(
          new Entry(
              name, type, (int) octal(h, 100, 8), size, octal(h, 136, 12), str(h, 265, 32), data));
    }
  }

  private static String paxPath(String records) {
    String path = null;
    int i = 0;
    while (i < records.length()) {
      int space = records.indexOf(' ', i);
      int len = Integer.parseInt(records.substring(i, space));
      byte[] rec = records.substring(i).getBytes(StandardCharsets.UTF_8);
      String record = new String(rec, 0, len, StandardCharsets.UTF_8);
      if (!record.endsWith("\n")) {
        throw new AssertionError("PAX record length is wrong: " + record);
      }
      String kv = record.substring(record.indexOf(' ') + 1, record.length() - 1);
      if (kv.startsWith("path=")) {
        path = kv.substring(5);
      }
      i += record.length();
    }
    return path;
  }

  private static void checkChecksum(byte[] h) {
    long stored = octal(h, 148, 8);
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
    }
    if (sum != stored) {
      throw new AssertionError("checksum " + stored + " but header sums to " + sum);
    }
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String str(byte[] h, int off, int len) {
    int end = off;
    while (end < off + len && h[end] != 0) {
      end++;
    }
    return new String(h, off, end - off, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] h, int off, int len) {
    String s = str(h, off, len).strip();
    return s.isEmpty() ? 0 : Long.parseLong(s, 8);
  }
}
