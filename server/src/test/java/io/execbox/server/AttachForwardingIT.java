package io.execbox.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.execbox.api.attach.FrameCodec;
import io.execbox.api.auth.ForwardTokens;
import io.execbox.store.SessionPatch;
import io.execbox.store.Store;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * What an api replica sends when it forwards an attach to the process its session's row names as
 * the holder of the session's stdio, and what a holder accepts: the client's key never leaves the
 * replica (a stale holder address may now belong to anything), only a token good for that one
 * session's attach; a forged token, or one for another session, is refused before any upgrade.
 */
class AttachForwardingIT {
  @Test
  void aForwardedAttachCarriesASessionTokenNotTheClientsKeyAndTheHolderChecksIt() throws Exception {
    TestServer server = TestServer.shared();
    Client c = Client.newAccount(server);
    String id = c.create(Client.sh("sleep 30"));
    c.awaitStatus(id, Duration.ofSeconds(30), "running");
    String other = c.create(Client.sh("sleep 30"));

    // a "holder" that records what reaches it and answers with an exit frame
    AtomicReference<io.netty.handler.codec.http.HttpHeaders> seen = new AtomicReference<>();
    DisposableServer holder =
        HttpServer.create()
            .host("127.0.0.1")
            .port(0)
            .route(
                r ->
                    r.get(
                        "/v1/sessions/" + id + "/attach",
                        (req, res) -> {
                          seen.set(req.requestHeaders().copy());
                          return res.sendWebsocket(
                              (in, out) -> out.sendByteArray(Mono.just(FrameCodec.exit(7))).then());
                        }))
            .bindNow();
    Store store = server.bean(Store.class);
    // an api-only replica: it holds no session's stdio, so it forwards to the row's holder
    TestServer api = server.replica(java.util.Map.of("execbox.roles", "api"));
    try {
      store
          .sessions()
          .apply(id, SessionPatch.create().ioHolder("127.0.0.1:" + holder.port()))
          .block(Duration.ofSeconds(10));
      Client.Attach a = new Client(api.baseUrl(), c.key, c.accountId).attach(id);
      assertThat(a.awaitClose(Duration.ofSeconds(30))).isEqualTo(1000);
      assertThat(a.exitCode).as("the holder's exit frame, passed on").isEqualTo(7);
      var headers = seen.get();
      assertThat(headers).isNotNull();
      assertThat(headers.get("Authorization")).as("the client's key").isNull();
      String token = headers.get(ForwardTokens.HEADER);
      assertThat(token).startsWith(id + ".");
      assertThat(token).doesNotContain(c.key);

      // the holder's side (this server serves forwarded attaches too): the token opens this
      // session's attach and no other; a forged one opens nothing
      assertThat(handshake(server, id, token)).isEqualTo(101);
      assertThat(handshake(server, other, token)).isEqualTo(401);
      assertThat(handshake(server, id, id + ".9999999999.forged")).isEqualTo(401);
    } finally {
      store
          .sessions()
          .apply(id, SessionPatch.create().ioHolder(null))
          .block(Duration.ofSeconds(10));
      holder.disposeNow();
      api.close();
      c.post("/v1/sessions/" + id + "/stop", "");
      c.post("/v1/sessions/" + other + "/stop", "");
    }
  }

  /** The status of an attach handshake made with a forward token and no key. */
  private static int handshake(TestServer server, String id, String token) throws Exception {
    try {
      WebSocket ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .header(ForwardTokens.HEADER, token)
              .buildAsync(
                  URI.create(
                      server.baseUrl().replace("http", "ws") + "/v1/sessions/" + id + "/attach"),
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(
                        WebSocket w, java.nio.ByteBuffer data, boolean last) {
                      w.request(1);
                      return null;
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      ws.abort();
      return 101;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        return h.getResponse().statusCode();
      }
      throw e;
    }
  }
}
