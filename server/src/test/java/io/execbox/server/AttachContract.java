package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The attach WebSocket of docs/API.md, byte for byte, as every backend must serve it: replay, late
 * and concurrent clients, 10 MiB byte-exact, protocol abuse. Each backend runs it from a subclass.
 */
abstract class AttachContract {
  /** The server, on the backend of the subclass. */
  abstract TestServer server();

  TestServer server;
  Client c;

  @BeforeEach
  void account() {
    server = server();
    c = Client.newAccount(server);
  }

  @Test
  void tenMebibytesOfBinaryOutputArriveByteExact() throws Exception {
    String id =
        c.create(
            Client.sh("head -c 10485760 /dev/urandom > /tmp/d; cat /tmp/d; sha256sum /tmp/d >&2"));
    Client.Attach a = c.attach(id);
    assertThat(a.awaitClose(Duration.ofSeconds(120))).isEqualTo(1000);
    byte[] out = a.stdout.toByteArray();
    assertThat(out).hasSize(10 * 1024 * 1024);
    String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out));
    assertThat(a.err()).startsWith(digest);
    assertThat(a.exitCode).isZero();
    assertThat(a.errors).isEmpty();
    // and the replay after exit is the same bytes
    c.awaitStatus(id, Duration.ofSeconds(10), "stopped");
    Client.Attach replay = c.attach(id);
    assertThat(replay.awaitClose(Duration.ofSeconds(60))).isEqualTo(1000);
    assertThat(replay.errors).isEmpty();
    assertThat(replay.stdout.size()).as("bytes replayed").isEqualTo(out.length);
    assertThat(replay.stdout.toByteArray()).isEqualTo(out);
    assertThat(replay.exitCode).isZero();
  }

  @Test
  void twentyConcurrentSessionsEachGetOnlyTheirOwnOutput() throws Exception {
    Client other = Client.newAccount(server);
    var pool = Executors.newFixedThreadPool(20);
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Client who = i % 2 == 0 ? c : other;
      String token = "token-" + i + "-";
      runs.add(
          CompletableFuture.runAsync(
              () -> {
                String id =
                    who.create(
                        Client.sh("for i in 1 2 3 4 5 6 7 8 9 10; do echo " + token + "$i; done"));
                Client.Attach a = who.attach(id);
                assertThat(a.awaitClose(Duration.ofSeconds(90))).isEqualTo(1000);
                StringBuilder want = new StringBuilder();
                for (int n = 1; n <= 10; n++) {
                  want.append(token).append(n).append('\n');
                }
                assertThat(a.out()).isEqualTo(want.toString());
                assertThat(a.exitCode).isZero();
              },
              pool));
    }
    CompletableFuture.allOf(runs.toArray(new CompletableFuture[0])).get();
    pool.shutdown();
  }

  @Test
  void lateAttachStillReceivesEarlyOutput() {
    String id = c.create(Client.sh("echo early; echo early-err >&2; sleep 2; echo late"));
    c.awaitStatus(id, Duration.ofSeconds(30), "running");
    Client.sleep(1000);
    Client.Attach a = c.attach(id);
    a.awaitClose(Duration.ofSeconds(30));
    assertThat(a.out()).isEqualTo("early\nlate\n");
    assertThat(a.err()).isEqualTo("early-err\n");
    assertThat(a.exitCode).isZero();
  }

  @Test
  void anAttachStaysOpenThroughSecondsOfSilence() {
    // no byte for 5 s: nothing on the way (a forwarding replica, a proxy's read timeout) may end it
    String id = c.create(Client.sh("sleep 5; echo awake; exit 4"));
    Client.Attach a = c.attach(id);
    assertThat(a.awaitClose(Duration.ofSeconds(60))).isEqualTo(1000);
    assertThat(a.out()).isEqualTo("awake\n");
    assertThat(a.errors).isEmpty();
    assertThat(a.exitCode).isEqualTo(4);
  }

  @Test
  void attachAfterExitReplaysOutputAndExit() {
    String id = c.create(Client.sh("echo out; echo err >&2; exit 7"));
    c.awaitStatus(id, Duration.ofSeconds(30), "stopped");
    Client.sleep(500); // let the machine be archived and destroyed
    for (int i = 0; i < 2; i++) {
      Client.Attach a = c.attach(id);
      assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
      assertThat(a.out()).isEqualTo("out\n");
      assertThat(a.err()).isEqualTo("err\n");
      assertThat(a.exitCode).isEqualTo(7);
    }
  }

  @Test
  void twoClientsReceiveIdenticalOutputAndEitherMayWriteStdin() {
    String id = c.create(Client.sh("read a; echo first:$a; read b; echo second:$b; seq 1 2000"));
    Client.Attach one = c.attach(id);
    Client.Attach two = c.attach(id);
    one.stdin("x\n");
    two.stdin("y\n");
    one.awaitClose(Duration.ofSeconds(30));
    two.awaitClose(Duration.ofSeconds(30));
    // stdin from two connections reaches the command in whichever order the server got it
    assertThat(one.out())
        .matches("(?s)(first:x\nsecond:y|first:y\nsecond:x)\n1\n2\n.*")
        .endsWith("\n2000\n");
    assertThat(two.stdout.toByteArray()).isEqualTo(one.stdout.toByteArray());
    assertThat(one.exitCode).isZero();
    assertThat(two.exitCode).isZero();
  }

  @Test
  void outputWrittenAfterStdinCloseOnStderrStaysOnStderr() {
    String id = c.create(Client.sh("cat; echo after >&2"));
    Client.Attach a = c.attach(id);
    a.stdin("in\n");
    a.stdinClose();
    assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
    assertThat(a.out()).isEqualTo("in\n");
    assertThat(a.err()).isEqualTo("after\n");
    assertThat(a.exitCode).isZero();
  }

  /**
   * The exit frame is not held back by the runtime's report of the exit: it follows the last output
   * within a second, for a short command and for one that writes 1 MiB (the worst of five runs
   * each).
   */
  @Test
  void theExitFrameFollowsTheLastOutputWithinASecond() {
    Duration worst = Duration.ZERO;
    for (String script : List.of("echo hi", "head -c 1048576 /dev/zero")) {
      for (int i = 0; i < 5; i++) {
        Duration d = exitAfterLastOutput(script);
        worst = d.compareTo(worst) > 0 ? d : worst;
      }
    }
    assertThat(worst).as("the longest wait for the exit frame").isLessThan(Duration.ofSeconds(1));
  }

  /**
   * Runs {@code script} attached from the start; the time from its last output to its exit frame.
   */
  Duration exitAfterLastOutput(String script) {
    String id = c.create(Client.sh(script));
    Client.Attach a = new Client.Attach(Long.MAX_VALUE);
    long[] lastOutput = new long[1];
    long[] exit = new long[1];
    WebSocket.Listener timed =
        new WebSocket.Listener() {
          @Override
          public void onOpen(WebSocket ws) {
            a.onOpen(ws);
          }

          @Override
          public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            long now = System.nanoTime();
            CompletionStage<?> next = a.onBinary(ws, data, last);
            if (last) {
              int type;
              synchronized (a) {
                type = a.types.get(a.types.size() - 1);
              }
              if (type == 2 || type == 3) {
                lastOutput[0] = now;
              } else if (type == 4) {
                exit[0] = now;
              }
            }
            return next;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            return a.onClose(ws, code, reason);
          }

          @Override
          public void onError(WebSocket ws, Throwable error) {
            a.onError(ws, error);
          }
        };
    URI uri = URI.create(c.base.replace("http", "ws") + "/v1/sessions/" + id + "/attach");
    a.ws =
        Client.HTTP
            .newWebSocketBuilder()
            .header("Authorization", "Bearer " + c.key)
            .buildAsync(uri, timed)
            .join();
    assertThat(a.awaitClose(Duration.ofSeconds(60))).isEqualTo(1000);
    assertThat(a.exitCode).isZero();
    assertThat(lastOutput[0]).as("an output frame came").isNotZero();
    return Duration.ofNanos(exit[0] - lastOutput[0]);
  }

  @Test
  void protocolAbuseGetsAnErrorFrameAndACloseThenTheServerStaysHealthy() {
    String id = c.create(Client.sh("sleep 20"));
    Client.Attach text = c.attach(id);
    text.sendText("hello");
    assertThat(text.awaitClose(Duration.ofSeconds(10))).isEqualTo(1003);
    assertThat(text.errors).hasSize(1);

    Client.Attach badLength = c.attach(id);
    badLength.sendRaw(new byte[] {1, 0, 0, 0, 9, 'a'});
    assertThat(badLength.awaitClose(Duration.ofSeconds(10))).isEqualTo(1007);
    assertThat(badLength.errors).hasSize(1);

    Client.Attach unknown = c.attach(id);
    unknown.sendRaw(new byte[] {9, 0, 0, 0, 0});
    assertThat(unknown.awaitClose(Duration.ofSeconds(10))).isEqualTo(1003);

    Client.Attach serverType = c.attach(id);
    serverType.sendRaw(new byte[] {4, 0, 0, 0, 0});
    assertThat(serverType.awaitClose(Duration.ofSeconds(10))).isEqualTo(1003);

    c.delete("/v1/sessions/" + id);
    String healthy = c.create(Client.sh("echo fine"));
    Client.Attach a = c.attach(healthy);
    a.awaitClose(Duration.ofSeconds(30));
    assertThat(a.out()).isEqualTo("fine\n");
    assertThat(a.exitCode).isZero();
  }
}
