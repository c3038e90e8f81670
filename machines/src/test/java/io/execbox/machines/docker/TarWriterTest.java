package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.crds.FileSpec;
import io.execbox.machines.MachineException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class TarWriterTest {
  private static final long MTIME = 1_790_000_000L;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void writesFilesAndDirectoriesThatReadBack() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out);
    tar.addDirectory("app", 0755, MTIME);
    tar.addFile("app/main.py", utf8("print('hi')\n"), 0644, MTIME);
    tar.addFile("empty", new byte[0], 0600, MTIME);
    byte[] block = new byte[512];
    tar.addFile("exactly-one-block", block, 0644, MTIME);
    tar.finish();

    List<TarReader.Entry> entries = TarReader.read(out.toByteArray());
    assertThat(entries)
        .extracting(TarReader.Entry::name)
        .containsExactly("app/", "app/main.py", "empty", "exactly-one-block");
    assertThat(entries).extracting(TarReader.Entry::type).containsExactly('5', '0', '0', '0');
    assertThat(entries).extracting(TarReader.Entry::mode).containsExactly(0755, 0644, 0600, 0644);
    assertThat(entries).extracting(TarReader.Entry::size).containsExactly(0L, 12L, 0L, 512L);
    assertThat(entries).allMatch(e -> e.mtime() == MTIME && e.uname().equals("root"));
    assertThat(new String(entries.get(1).data(), StandardCharsets.UTF_8))
        .isEqualTo("print('hi')\n");
    // 4 headers + 1 data block for main.py + 1 for the 512-byte file + 2 end blocks.
    assertThat(out.size()).isEqualTo(512 * 8);
  }

  @Test
  void longNamesUseTheUstarPrefix() throws IOException {
    String dir = "d".repeat(120);
    String name = dir + "/" + "f".repeat(90);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out);
    tar.addFile(name, utf8("x"), 0644, MTIME);
    tar.finish();
    assertThat(TarReader.read(out.toByteArray()))
        .singleElement()
        .extracting(TarReader.Entry::name)
        .isEqualTo(name);
    // No PAX header was needed: one header, one data block, two end blocks.
    assertThat(out.size()).isEqualTo(512 * 4);
  }

  @Test
  void namesBeyondUstarAndNonAsciiNamesUsePax() throws IOException {
    String tooLong = "a/" + "b".repeat(150) + "/" + "c".repeat(101);
    String unicode = "app/données/日本.txt";
    String deep = "x/".repeat(200) + "leaf";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out);
    tar.addFile(tooLong, utf8("1"), 0644, MTIME);
    tar.addFile(unicode, utf8("2"), 0644, MTIME);
    tar.addFile(deep, utf8("3"), 0644, MTIME);
    tar.finish();
    List<TarReader.Entry> entries = TarReader.read(out.toByteArray());
    assertThat(entries).extracting(TarReader.Entry::name).containsExactly(tooLong, unicode, deep);
    assertThat(entries)
        .extracting(e -> new String(e.data(), StandardCharsets.UTF_8))
        .containsExactly("1", "2", "3");
  }

  @Test
  void paxRecordLengthCountsItself() {
    for (int n = 1; n < 1200; n++) {
      String value = "v".repeat(n);
      byte[] rec = TarWriter.paxRecord("path", value);
      String s = new String(rec, StandardCharsets.UTF_8);
      assertThat(Integer.parseInt(s.substring(0, s.indexOf(' ')))).isEqualTo(rec.length);
    }
  }

  @Test
  void sessionFilesBecomeOneArchiveAtTheirAbsolutePaths() {
    byte[] binary = {0, 1, 2, (byte) 0xff, '\n'};
    byte[] tar =
        ContainerFiles.tar(
            List.of(
                new FileSpec("/app/main.py", "print('é')\n", null),
                new FileSpec(
                    "/app/sub/data.bin", Base64.getEncoder().encodeToString(binary), "base64"),
                new FileSpec("/etc/extra.conf", "k=v\n", "utf8")),
            Instant.ofEpochSecond(MTIME));
    List<TarReader.Entry> entries = TarReader.read(tar);
    // Files only: a directory entry would reset the mode of an existing directory such as /tmp.
    assertThat(entries)
        .extracting(TarReader.Entry::name)
        .containsExactly("app/main.py", "app/sub/data.bin", "etc/extra.conf");
    assertThat(entries).allMatch(e -> e.type() == '0' && e.mode() == 0644);
    assertThat(entries.get(0).data()).isEqualTo(utf8("print('é')\n"));
    assertThat(entries.get(1).data()).isEqualTo(binary);
  }

  @Test
  void badPathsAndContentAreInvalidSpecs() {
    for (String bad : List.of("relative/x", "/", "/a/../etc/passwd", "/a//b", "/a/./b", "/dir/")) {
      assertThatThrownBy(() -> ContainerFiles.entryName(bad))
          .as(bad)
          .isInstanceOfSatisfying(
              MachineException.class,
              e -> assertThat(e.kind()).isEqualTo(MachineException.Kind.INVALID_SPEC));
    }
    assertThatThrownBy(
            () ->
                ContainerFiles.tar(
                    List.of(new FileSpec("/x", "not base64!", "base64")), Instant.now()))
        .isInstanceOfSatisfying(
            MachineException.class,
            e -> assertThat(e.kind()).isEqualTo(MachineException.Kind.INVALID_SPEC));
  }
}
