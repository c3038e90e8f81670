package io.execbox.machines.docker;

import static io.execbox.machines.docker.FrameReaderTest.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.execbox.machines.IoChannel;
import io.execbox.machines.MachineException;
import io.execbox.machines.OutputSink;
import io.execbox.machines.StreamKind;
import java.io.ByteArrayOutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DockerClientTest {
  /** Records what a channel delivers. */
  static final class RecordingSink implements OutputSink {
    final List<String> chunks = new CopyOnWriteArrayList<>();
    final AtomicInteger ends = new AtomicInteger();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final CountDownLatch ended = new CountDownLatch(1);

    @Override
    public void onOutput(StreamKind kind, byte[] data) {
      if (ends.get() > 0) {
        chunks.add("AFTER-END");
      }
      chunks.add(kind + ":" + new String(data, StandardCharsets.UTF_8));
    }

    @Override
    public void onEnd(Throwable e) {
      error.set(e);
      ends.incrementAndGet();
      ended.countDown();
    }
  }

  @Test
  void sendsARequestAndReadsAContentLengthBody() throws Exception {
    AtomicReference<FakeEngine.Request> seen = new AtomicReference<>();
    try (FakeEngine engine =
        new FakeEngine(
            r -> {
              seen.set(r);
              r.answer(
                  "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Id\":\"abc\"}\n");
            })) {
      DockerClient client = new DockerClient(engine.host());
      HttpResponse r =
          client.postJson("/v1.41/containers/create?name=x", java.util.Map.of("Image", "i"));
      assertThat(r.status()).isEqualTo(201);
      assertThat(r.json(client.mapper()).path("Id").asText()).isEqualTo("abc");
      assertThat(r.headers()).containsEntry("content-type", "application/json");
      FakeEngine.Request req = seen.get();
      assertThat(req.requestLine()).isEqualTo("POST /v1.41/containers/create?name=x HTTP/1.1");
      assertThat(req.head())
          .contains(
              "Host: docker\r\n", "Connection: close\r\n", "Content-Type: application/json\r\n");
      assertThat(new String(req.body(), StandardCharsets.UTF_8)).isEqualTo("{\"Image\":\"i\"}");
    }
  }

  @Test
  void readsChunkedAndCloseDelimitedBodies() throws Exception {
    try (FakeEngine engine =
        new FakeEngine(
            r -> {
              if (r.requestLine().contains("/chunked")) {
                r.answer(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
              } else {
                r.answer("HTTP/1.1 200 OK\r\n\r\nuntil the end");
              }
            })) {
      DockerClient client = new DockerClient(engine.host());
      assertThat(client.get("/chunked").text()).isEqualTo("abcde");
      assertThat(client.get("/eof").text()).isEqualTo("until the end");
    }
  }

  @Test
  void errorStatusesAreReturnedWithTheRuntimesMessage() throws Exception {
    String body =
        "{\"cause\":\"image not known\",\"message\":\"no such image: x:1: image not known\",\"response\":404}\n";
    try (FakeEngine engine =
        new FakeEngine(
            r ->
                r.answer(
                    "HTTP/1.1 404 Not Found\r\nContent-Length: "
                        + body.length()
                        + "\r\n\r\n"
                        + body))) {
      HttpResponse r = new DockerClient(engine.host()).get("/x");
      assertThat(r.ok()).isFalse();
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.message()).isEqualTo("no such image: x:1: image not known");
    }
  }

  @Test
  void aMissingSocketIsUnavailable() {
    DockerClient client = new DockerClient(new DockerHost("unix:///nonexistent/execbox-test.sock"));
    assertThatThrownBy(() -> client.get("/_ping"))
        .isInstanceOfSatisfying(
            MachineException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(MachineException.Kind.UNAVAILABLE);
              assertThat(e.getMessage()).contains("unix:///nonexistent/execbox-test.sock");
            });
  }

  @Test
  void aSilentRuntimeTimesOut() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (FakeEngine engine = new FakeEngine(r -> release.await(10, TimeUnit.SECONDS))) {
      DockerClient client = new DockerClient(engine.host());
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> client.call("POST", "/wait", null, null, Duration.ofMillis(300)))
          .isInstanceOfSatisfying(
              MachineException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(MachineException.Kind.RUNTIME);
                assertThat(e.getCause()).isInstanceOf(SocketTimeoutException.class);
              });
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      release.countDown();
    }
  }

  @Test
  void hijackedStreamCarriesStdinWithHalfCloseAndEndsOnce() throws Exception {
    ByteArrayOutputStream stdinSeen = new ByteArrayOutputStream();
    AtomicReference<String> head = new AtomicReference<>();
    try (FakeEngine engine =
        new FakeEngine(
            r -> {
              head.set(r.head());
              r.answer(
                  "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
              r.out().write(frame(1, "hello\n"));
              r.out().write(frame(2, "warn\n"));
              r.out().flush();
              // Echo stdin until the client half-closes, as `cat` would.
              byte[] buf = new byte[1024];
              int n;
              while ((n = r.in().read(buf)) > 0) {
                stdinSeen.write(buf, 0, n);
                r.out().write(frame(1, new String(buf, 0, n, StandardCharsets.UTF_8)));
                r.out().flush();
              }
              r.out().write(frame(1, "bye\n"));
              r.out().flush();
            })) {
      DockerClient client = new DockerClient(engine.host());
      DockerConnection c =
          client.hijack("POST", "/v1.41/containers/x/attach?stream=1&stdin=1&stdout=1&stderr=1");
      assertThat(c.status()).isEqualTo(101);
      RecordingSink sink = new RecordingSink();
      IoChannel ch = StreamChannel.start("execbox-io-test", OutputSource.attach(c), c, sink);
      ch.writeStdin("line1\n".getBytes(StandardCharsets.UTF_8));
      ch.closeStdin();
      ch.closeStdin();
      assertThat(ch.stdinOpen()).isFalse();
      assertThatThrownBy(() -> ch.writeStdin(new byte[] {1})).hasMessageContaining("closed");
      assertThat(sink.ended.await(5, TimeUnit.SECONDS)).isTrue();
      ch.close();
      assertThat(sink.ends.get()).isEqualTo(1);
      assertThat(sink.error.get()).isNull();
      assertThat(sink.chunks)
          .containsExactly("STDOUT:hello\n", "STDERR:warn\n", "STDOUT:line1\n", "STDOUT:bye\n");
      assertThat(stdinSeen.toString(StandardCharsets.UTF_8)).isEqualTo("line1\n");
      assertThat(head.get()).contains("Connection: Upgrade\r\n", "Upgrade: tcp\r\n");
      assertThat(engine.failures).isEmpty();
    }
  }

  @Test
  void closingTheChannelEndsTheSinkOnceAsDetached() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (FakeEngine engine =
        new FakeEngine(
            r -> {
              r.answer("HTTP/1.1 101 UPGRADED\r\n\r\n");
              r.out().write(frame(1, "one\n"));
              r.out().flush();
              release.await(10, TimeUnit.SECONDS);
            })) {
      DockerConnection c = new DockerClient(engine.host()).hijack("POST", "/attach");
      RecordingSink sink = new RecordingSink();
      IoChannel ch = StreamChannel.start("execbox-io-test", OutputSource.attach(c), c, sink);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (sink.chunks.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      ch.close();
      ch.close();
      assertThat(sink.ended.await(5, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(50);
      assertThat(sink.ends.get()).isEqualTo(1);
      assertThat(sink.error.get()).isInstanceOf(CancellationException.class);
      assertThat(sink.chunks).containsExactly("STDOUT:one\n");
      release.countDown();
    }
  }

  @Test
  void aBrokenStreamEndsTheSinkWithTheError() throws Exception {
    try (FakeEngine engine =
        new FakeEngine(
            r -> {
              r.answer(
                  "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n");
              byte[] f = frame(1, "partial");
              r.out().write(f, 0, 10);
              r.out().flush();
            })) {
      DockerConnection c = new DockerClient(engine.host()).hijack("POST", "/attach");
      assertThat(c.status()).isEqualTo(200);
      RecordingSink sink = new RecordingSink();
      StreamChannel.start("execbox-io-test", OutputSource.attach(c), c, sink);
      assertThat(sink.ended.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(sink.error.get()).isInstanceOf(java.io.EOFException.class);
      assertThat(sink.chunks).containsExactly("STDOUT:pa");
    }
  }

  @Test
  void aRefusedHijackIsReadByItsContentLength() throws Exception {
    // Podman answers a refused attach with a sized body and keeps the connection open.
    String body = "{\"message\":\"preparing container for attach: runc create failed\"}";
    CountDownLatch release = new CountDownLatch(1);
    try (FakeEngine engine =
        new FakeEngine(
            r -> {
              r.answer(
                  "HTTP/1.1 409 Conflict\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
              release.await(10, TimeUnit.SECONDS);
            })) {
      DockerConnection c = new DockerClient(engine.host()).hijack("POST", "/attach");
      assertThat(c.status()).isEqualTo(409);
      long t0 = System.nanoTime();
      HttpResponse r = c.drain(1024);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
      assertThat(r.message()).isEqualTo("preparing container for attach: runc create failed");
      release.countDown();
    }
  }
}
