package io.execbox.machines.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** A scripted HTTP server on a Unix socket, one handler per accepted connection: test code only. */
final class FakeEngine implements AutoCloseable {
  /** One accepted request: its head, its body, and the connection to answer on. */
  record Request(
      String head, byte[] body, InputStream in, OutputStream out, SocketChannel channel) {
    String requestLine() {
      return head.substring(0, head.indexOf("\r\n"));
    }

    void answer(String response) throws IOException {
      out.write(response.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }
  }

  interface Handler {
    void handle(Request r) throws Exception;
  }

  private final Path dir;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();

  FakeEngine(Handler handler) throws IOException {
    dir = Files.createTempDirectory("fake-engine");
    socket = dir.resolve("e.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor =
        new Thread(
            () -> {
              while (server.isOpen()) {
                try {
                  SocketChannel ch = server.accept();
                  Thread t = new Thread(() -> serve(ch, handler), "fake-engine-conn");
                  t.setDaemon(true);
                  t.start();
                } catch (IOException e) {
                  return;
                }
              }
            },
            "fake-engine");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  DockerHost host() {
    return new DockerHost("unix://" + socket);
  }

  private void serve(SocketChannel ch, Handler handler) {
    try (ch) {
      // Test code: the blocking-lock caveat of Channels streams does not matter here.
      InputStream in = Channels.newInputStream(ch);
      OutputStream out = Channels.newOutputStream(ch);
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return;
        }
        head.write(b);
      }
      String h = head.toString(StandardCharsets.ISO_8859_1);
      int length = 0;
      for (String line : h.split("\r\n")) {
        if (line.toLowerCase().startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).strip());
        }
      }
      byte[] body = in.readNBytes(length);
      handler.handle(new Request(h, body, in, out, ch));
    } catch (Throwable e) {
      failures.add(e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir);
  }
}
