package io.execbox.machines.docker;

import io.execbox.crds.FileSpec;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * A session's files as one tar, extracted at {@code /} of a created container.
 *
 * <p>The archive holds no entries for parent directories: extracting a directory entry resets an
 * existing directory's mode (Podman turned {@code /tmp}'s 1777 into 0755), while a missing parent
 * is created 0755 by the runtime's extractor anyway, and the image's other files stay visible.
 */
final class ContainerFiles {
  static final int FILE_MODE = 0644;
  private static final int MAX_PATH = 4096;

  private ContainerFiles() {}

  static byte[] tar(List<FileSpec> files, Instant mtime) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(out);
    try {
      for (FileSpec f : files) {
        tar.addFile(entryName(f.getPath()), content(f), FILE_MODE, mtime.getEpochSecond());
      }
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The tar entry of an absolute path: no leading slash, no empty, "." or ".." segments. */
  static String entryName(String path) {
    if (path == null || !path.startsWith("/")) {
      throw invalid("file path must be absolute: " + path);
    }
    if (path.length() > MAX_PATH || path.indexOf('\0') >= 0) {
      throw invalid("file path is too long or contains NUL");
    }
    if (path.endsWith("/")) {
      throw invalid("file path names a directory: " + path);
    }
    String name = path.substring(1);
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw invalid("file path must be normalized (no //, . or ..): " + path);
      }
    }
    return name;
  }

  private static byte[] content(FileSpec f) {
    if (f.getContent() == null) {
      throw invalid("file " + f.getPath() + " has no content");
    }
    try {
      return f.bytes();
    } catch (IllegalArgumentException e) {
      throw invalid("file " + f.getPath() + " is not valid base64");
    }
  }

  private static MachineException invalid(String message) {
    return new MachineException(Kind.INVALID_SPEC, message);
  }
}
