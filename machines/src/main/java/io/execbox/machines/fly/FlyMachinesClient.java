package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.fly.FlyRateLimiter.Limit;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small client of the Fly Machines API ({@code /v1/apps/{app}/machines}): every request waits for
 * its token of {@link FlyRateLimiter}; 429s and 5xx are retried with backoff, and 408s and dropped
 * connections of requests that change nothing. A create is never retried blindly: an ambiguous
 * answer (408, 5xx, a dropped connection) may have created the machine, so the machine is looked up
 * by its metadata before another create (okhttp's own silent retry is off for the same reason).
 */
final class FlyMachinesClient {
  private static final Logger log = LoggerFactory.getLogger(FlyMachinesClient.class);
  private static final MediaType JSON = MediaType.get("application/json");
  private static final int ATTEMPTS = 8;

  /** An answer of the API: its status and its JSON body (null when it had none). */
  record Answer(int status, JsonNode body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The error text of an ErrorResponse, with its status word if any. */
    String error() {
      if (body == null) {
        return "HTTP " + status;
      }
      String e = body.path("error").asText(body.path("message").asText(""));
      String s = body.path("status").asText("");
      return (e.isEmpty() ? "HTTP " + status : e) + (s.isEmpty() ? "" : " (" + s + ")");
    }
  }

  private final OkHttpClient http;
  private final HttpUrl base;
  private final String token;
  private final String app;
  private final ObjectMapper mapper;
  private final FlyRateLimiter limiter = new FlyRateLimiter();

  FlyMachinesClient(FlyOptions options, ObjectMapper mapper) {
    HttpUrl url = HttpUrl.get(options.apiUrl().toString());
    this.base = url.newBuilder().addPathSegment("v1").build();
    this.token = options.apiToken();
    this.app = options.app();
    this.mapper = mapper;
    this.http =
        new OkHttpClient.Builder()
            .retryOnConnectionFailure(false)
            .followRedirects(false)
            .connectTimeout(10, TimeUnit.SECONDS)
            .readTimeout(options.waitTimeout().plusSeconds(15))
            .writeTimeout(30, TimeUnit.SECONDS)
            .build();
  }

  String app() {
    return app;
  }

  /** The sessions app, to tell that the API answers and the token is good. */
  Answer getApp() {
    return send("get_app", app, FlyRateLimiter.DEFAULT, get(appUrl()), true);
  }

  /**
   * Creates a machine whose metadata {@code key} is {@code value}, or returns the one that has it
   * already; never two.
   */
  JsonNode create(ObjectNode body, String key, String value) {
    boolean ambiguous = false;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (ambiguous) {
        List<JsonNode> found = list(Map.of(key, value));
        if (!found.isEmpty()) {
          log.info("machine for {} {} was created by an earlier attempt", key, value);
          return found.get(0);
        }
      }
      Request r = post(machinesUrl().build(), body);
      Answer a;
      try {
        a = exchange("create", app, FlyRateLimiter.DEFAULT, r);
      } catch (IOException e) {
        log.info("create of {} {}: no answer ({}); looking it up", key, value, e.toString());
        ambiguous = true;
        backoff(attempt);
        continue;
      }
      if (a.ok()) {
        return a.body();
      }
      if (a.status() == 429) {
        backoff(attempt);
        continue;
      }
      if (a.status() == 408 || (a.status() >= 500 && !capacity(a))) {
        log.info("create of {} {}: {}; looking it up", key, value, a.error());
        ambiguous = true;
        backoff(attempt);
        continue;
      }
      throw FlyFailures.of("create a machine in app " + app, a);
    }
    throw new MachineException(
        Kind.UNAVAILABLE, "the Machines API did not create a machine in " + ATTEMPTS + " attempts");
  }

  /** The machine, or null when the API does not know it. */
  JsonNode get(String id) {
    Answer a = send("get", id, FlyRateLimiter.GET_MACHINE, get(machineUrl(id).build()), true);
    if (a.status() == 404) {
      return null;
    }
    return ok("get machine " + id, a);
  }

  /** The app's machines (not destroyed) whose metadata has every one of {@code metadata}. */
  List<JsonNode> list(Map<String, String> metadata) {
    HttpUrl.Builder u = machinesUrl();
    metadata.forEach((k, v) -> u.addQueryParameter("metadata." + k, v));
    JsonNode body =
        ok("list machines", send("list", app, FlyRateLimiter.DEFAULT, get(u.build()), true));
    List<JsonNode> out = new ArrayList<>();
    body.forEach(out::add);
    return out;
  }

  /**
   * Waits for the machine to reach {@code state} for at most the wait timeout; false on the API's
   * 408 (not yet), so the caller waits again.
   */
  boolean waitFor(String id, String instanceId, String state, Duration timeout) {
    HttpUrl.Builder u =
        machineUrl(id)
            .addPathSegment("wait")
            .addQueryParameter("state", state)
            .addQueryParameter("timeout", Long.toString(Math.max(1, timeout.toSeconds())));
    if (instanceId != null) {
      u.addQueryParameter("instance_id", instanceId);
    }
    Answer a = send("wait", id, FlyRateLimiter.DEFAULT, get(u.build()), false);
    if (a.status() == 408) {
      return false;
    }
    ok("wait for machine " + id + " to be " + state, a);
    return true;
  }

  void stop(String id, String signal, Duration timeout) {
    ObjectNode b = mapper.createObjectNode().put("signal", signal);
    b.put("timeout", Math.max(1, timeout.toSeconds()) + "s");
    Request r = post(machineUrl(id).addPathSegment("stop").build(), b);
    ok("stop machine " + id, send("stop", id, FlyRateLimiter.DEFAULT, r, true));
  }

  void signal(String id, String signal) {
    ObjectNode b = mapper.createObjectNode().put("signal", signal);
    Request r = post(machineUrl(id).addPathSegment("signal").build(), b);
    ok("signal machine " + id, send("signal", id, FlyRateLimiter.DEFAULT, r, true));
  }

  /** Destroys the machine, running or not; a machine already gone is fine. */
  void destroy(String id) {
    Request r =
        new Request.Builder()
            .url(machineUrl(id).addQueryParameter("force", "true").build())
            .delete()
            .header("Authorization", "Bearer " + token)
            .build();
    Answer a = send("delete", id, FlyRateLimiter.DEFAULT, r, true);
    if (a.status() != 404) {
      ok("destroy machine " + id, a);
    }
    limiter.forget(id);
  }

  private static boolean capacity(Answer a) {
    return a.body() != null && a.body().path("status").asText("").contains("capacity");
  }

  private JsonNode ok(String what, Answer a) {
    if (!a.ok()) {
      throw FlyFailures.of(what, a);
    }
    return a.body() == null ? mapper.createObjectNode() : a.body();
  }

  /**
   * Sends with retries: 429 and 5xx always, a 408 or a dropped connection only when {@code
   * idempotent}. Returns the last answer; throws UNAVAILABLE when the API never answered.
   */
  private Answer send(String action, String scope, Limit limit, Request r, boolean idempotent) {
    Answer last = null;
    IOException failure = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        last = exchange(action, scope, limit, r);
        failure = null;
        boolean retry =
            last.status() == 429
                || (last.status() >= 500 && !capacity(last))
                || (last.status() == 408 && idempotent);
        if (!retry) {
          return last;
        }
        log.debug("{} {}: {}; retrying", action, scope, last.error());
      } catch (IOException e) {
        if (!idempotent) {
          throw unreachable(e);
        }
        failure = e;
      }
      backoff(attempt);
    }
    if (failure != null) {
      throw unreachable(failure);
    }
    return last;
  }

  private Answer exchange(String action, String scope, Limit limit, Request r) throws IOException {
    try {
      limiter.acquire(action, scope, limit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    try (Response resp = http.newCall(r).execute()) {
      String text = resp.body() == null ? "" : resp.body().string();
      JsonNode body = null;
      if (!text.isBlank()) {
        try {
          body = mapper.readTree(text);
        } catch (IOException notJson) {
          body = mapper.createObjectNode().put("error", text.strip());
        }
      }
      return new Answer(resp.code(), body);
    }
  }

  private MachineException unreachable(IOException e) {
    return new MachineException(
        Kind.UNAVAILABLE, "the Machines API at " + base + " does not answer: " + e.getMessage(), e);
  }

  private static void backoff(int attempt) {
    try {
      Thread.sleep(Math.min(4000, 250L << Math.min(attempt, 5)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MachineException(Kind.RUNTIME, "interrupted", e);
    }
  }

  private HttpUrl appUrl() {
    return base.newBuilder().addPathSegment("apps").addPathSegment(app).build();
  }

  private HttpUrl.Builder machinesUrl() {
    return appUrl().newBuilder().addPathSegment("machines");
  }

  private HttpUrl.Builder machineUrl(String id) {
    return machinesUrl().addPathSegment(id);
  }

  private Request get(HttpUrl url) {
    return new Request.Builder().url(url).get().header("Authorization", "Bearer " + token).build();
  }

  private Request post(HttpUrl url, JsonNode body) {
    try {
      return new Request.Builder()
          .url(url)
          .post(RequestBody.create(mapper.writeValueAsBytes(body), JSON))
          .header("Authorization", "Bearer " + token)
          .build();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write request JSON", e);
    }
  }

  void close() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
