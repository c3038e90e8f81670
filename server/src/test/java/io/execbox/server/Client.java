package io.execbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** A small execbox client written from docs/API.md, for the integration tests. */
public final class Client {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final String base;
  final String key;
  final String accountId;

  Client(String base, String key) {
    this(base, key, null);
  }

  Client(String base, String key, String accountId) {
    this.base = base;
    this.key = key;
    this.accountId = accountId;
  }

  /** A response: status, headers and the JSON body (null when empty or not JSON). */
  record Response(int status, java.net.http.HttpHeaders headers, String text) {
    JsonNode json() {
      try {
        return text == null || text.isEmpty() ? null : JSON.readTree(text);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + text, e);
      }
    }

    /**
     * The RFC 9457 problem of an answer that must have {@code status}: its content type, its own
     * {@code status} and a {@code detail} are checked.
     */
    JsonNode problem(int status) {
      org.assertj.core.api.Assertions.assertThat(status()).as(text).isEqualTo(status);
      org.assertj.core.api.Assertions.assertThat(headers.firstValue("Content-Type").orElse(""))
          .startsWith("application/problem+json");
      JsonNode p = json();
      org.assertj.core.api.Assertions.assertThat(p.get("status").asInt()).isEqualTo(status);
      org.assertj.core.api.Assertions.assertThat(p.get("detail").asText()).isNotBlank();
      return p;
    }
  }

  /** Makes a new account with a key through the admin route. */
  static Client newAccount(TestServer server) {
    Response r =
        raw(
            server.baseUrl(),
            "POST",
            "/v1/admin/keys",
            "{\"name\":\"test\"}",
            TestServer.ADMIN_TOKEN);
    if (r.status() != 201) {
      throw new AssertionError("admin create key: " + r.status() + " " + r.text());
    }
    return new Client(
        server.baseUrl(), r.json().get("key").asText(), r.json().get("accountId").asText());
  }

  /** Another key of the same account, made through the admin route (its own rate limit). */
  Client sibling() {
    Response r =
        raw(
            base,
            "POST",
            "/v1/admin/keys",
            "{\"name\":\"sibling\",\"accountId\":\"" + accountId + "\"}",
            TestServer.ADMIN_TOKEN);
    return new Client(base, r.json().get("key").asText(), accountId);
  }

  Response get(String path) {
    return raw(base, "GET", path, null, key);
  }

  Response post(String path, String body) {
    return raw(base, "POST", path, body, key);
  }

  Response delete(String path) {
    return raw(base, "DELETE", path, null, key);
  }

  static Response raw(String base, String method, String path, String body, String bearer) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
      if (bearer != null) {
        b.header("Authorization", "Bearer " + bearer);
      }
      if (body != null) {
        b.header("Content-Type", "application/json");
      }
      b.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body));
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers(), r.body());
    } catch (Exception e) {
      throw new AssertionError(method + " " + path + ": " + e, e);
    }
  }

  /** Creates a session and returns its id. */
  String create(String json) {
    Response r = post("/v1/sessions", json);
    if (r.status() != 201) {
      throw new AssertionError("create: " + r.status() + " " + r.text());
    }
    return r.json().get("id").asText();
  }

  /** A session spec running {@code sh -c script} in the test image. */
  static String sh(String script) {
    return "{\"image\":\""
        + TestServer.IMAGE
        + "\",\"command\":[\"sh\",\"-c\","
        + quote(script)
        + "]}";
  }

  /**
   * A session spec running {@code sleep 60} whose env has {@code variable} (test wiring's mark).
   */
  static String sleepWithEnv(String variable, String value) {
    return "{\"image\":\""
        + TestServer.IMAGE
        + "\",\"command\":[\"sleep\",\"60\"],\"env\":{"
        + quote(variable)
        + ":"
        + quote(value)
        + "}}";
  }

  static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Polls until the session has one of the statuses; returns its JSON. */
  JsonNode awaitStatus(String id, Duration timeout, String... statuses) {
    long end = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < end) {
      last = get("/v1/sessions/" + id).json();
      for (String s : statuses) {
        if (s.equals(last.get("status").asText())) {
          return last;
        }
      }
      sleep(250);
    }
    throw new AssertionError("session " + id + " did not reach " + List.of(statuses) + ": " + last);
  }

  /** Polls until the session has an exit code (a stopped one gets it when its command ends). */
  JsonNode awaitExitCode(String id, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < end) {
      last = get("/v1/sessions/" + id).json();
      if (last.path("exitCode").isNumber()) {
        return last;
      }
      sleep(250);
    }
    throw new AssertionError("session " + id + " got no exit code: " + last);
  }

  /**
   * Waits, if need be, for the server's next one-minute rate-limit window, so that {@code room} is
   * left in the window before a test that counts requests against it starts: a window that rolls
   * over mid-test resets the count. The server runs in this JVM, on the same clock.
   */
  static void awaitRateWindowWithRoom(Duration room) {
    long left = 60_000 - System.currentTimeMillis() % 60_000;
    if (left < room.toMillis()) {
      sleep(left + 50);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Opens an attach WebSocket. */
  Attach attach(String id) {
    return attach(id, Long.MAX_VALUE);
  }

  /** Opens an attach WebSocket that requests at most {@code window} messages at a time. */
  Attach attach(String id, long window) {
    Attach a = new Attach(window);
    try {
      a.ws =
          HTTP.newWebSocketBuilder()
              .header("Authorization", "Bearer " + key)
              .buildAsync(
                  URI.create(base.replace("http", "ws") + "/v1/sessions/" + id + "/attach"), a)
              .get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        a.handshakeStatus = h.getResponse().statusCode();
        return a;
      }
      throw new AssertionError(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return a;
  }

  /** One attached client: collects every frame until the server closes. */
  static final class Attach implements WebSocket.Listener {
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final List<String> errors = new ArrayList<>();

    /** Frame types in arrival order (2 stdout, 3 stderr, 4 exit, 5 error). */
    final List<Integer> types = new ArrayList<>();

    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final long window;
    volatile Integer exitCode;
    volatile int handshakeStatus;
    WebSocket ws;
    private ByteArrayOutputStream partial = new ByteArrayOutputStream();

    Attach(long window) {
      this.window = window;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(window);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      partial.writeBytes(b);
      if (last) {
        frame(partial.toByteArray());
        partial = new ByteArrayOutputStream();
      }
      if (window == Long.MAX_VALUE) {
        webSocket.request(1);
      }
      return null;
    }

    private synchronized void frame(byte[] f) {
      int type = f[0];
      types.add(type);
      switch (type) {
        case 2 -> stdout.write(f, 5, f.length - 5);
        case 3 -> stderr.write(f, 5, f.length - 5);
        case 4 -> exitCode = ByteBuffer.wrap(f, 1, 4).getInt();
        case 5 ->
            errors.add(new String(f, 5, f.length - 5, java.nio.charset.StandardCharsets.UTF_8));
        default -> errors.add("unexpected frame type " + type);
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }

    void request(long n) {
      ws.request(n);
    }

    void stdin(String s) {
      stdin(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    void stdin(byte[] data) {
      ByteBuffer f = ByteBuffer.allocate(5 + data.length);
      f.put((byte) 1).putInt(data.length).put(data).flip();
      ws.sendBinary(f, true).join();
    }

    void stdinClose() {
      ws.sendBinary(ByteBuffer.wrap(new byte[] {6}), true).join();
    }

    void sendRaw(byte[] frame) {
      ws.sendBinary(ByteBuffer.wrap(frame), true).join();
    }

    void sendText(String text) {
      ws.sendText(text, true).join();
    }

    /** Waits for the server's close; returns the close code. */
    int awaitClose(Duration timeout) {
      try {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new AssertionError(
            "no close within " + timeout + "; stdout=" + stdout.size() + " bytes, errors=" + errors,
            e);
      }
    }

    synchronized int stdoutSize() {
      return stdout.size();
    }

    synchronized byte[] stdoutBytes() {
      return stdout.toByteArray();
    }

    synchronized String out() {
      return stdout.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    synchronized String err() {
      return stderr.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** Sends bytes as they are and reads the whole answer (the server closes after it). */
  static String rawHttp(TestServer server, String request) {
    java.net.URI base = java.net.URI.create(server.baseUrl());
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", base.getPort())) {
      s.setSoTimeout(10_000);
      java.io.OutputStream out = s.getOutputStream();
      out.write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.flush();
      java.io.InputStream in = s.getInputStream();
      java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) > 0; ) {
          answer.write(buf, 0, n);
        }
      } catch (java.net.SocketException e) {
        // a reset after the answer (the server closed with our bytes unread) ends it too
      }
      return answer.toString(java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
