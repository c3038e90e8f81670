package io.execbox.machines.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The execbox-agent binary (docs/AGENT.md): a static Linux x86-64 executable that the agent module
 * builds from C and carries as the classpath resource {@value #RESOURCE}. Read once, on first use;
 * a build without it (no C compiler) fails on that use, not at class loading.
 */
public final class AgentBinary {
  /** Where the agent module puts the binary on the classpath. */
  public static final String RESOURCE = "/io/execbox/agent/execbox-agent";

  private static volatile byte[] bytes;
  private static volatile String sha256;

  private AgentBinary() {}

  /** The binary's bytes (a copy). */
  public static byte[] bytes() {
    return loaded().clone();
  }

  /** The binary's size in bytes. */
  public static int size() {
    return loaded().length;
  }

  /** The binary's SHA-256, lowercase hex. */
  public static String sha256() {
    String s = sha256;
    if (s == null) {
      try {
        s = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(loaded()));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK has no SHA-256", e);
      }
      sha256 = s;
    }
    return s;
  }

  private static byte[] loaded() {
    byte[] b = bytes;
    if (b == null) {
      synchronized (AgentBinary.class) {
        b = bytes;
        if (b == null) {
          b = load();
          bytes = b;
        }
      }
    }
    return b;
  }

  private static byte[] load() {
    try (InputStream in = AgentBinary.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "the execbox-agent binary is not on the classpath ("
                + RESOURCE
                + "): the execbox-agent jar is missing or was built without it (agent/build.sh)");
      }
      byte[] b = in.readAllBytes();
      if (b.length == 0) {
        throw new IllegalStateException("the execbox-agent binary on the classpath is empty");
      }
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the execbox-agent binary " + RESOURCE, e);
    }
  }
}
