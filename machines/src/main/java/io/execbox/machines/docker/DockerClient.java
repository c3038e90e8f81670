package io.execbox.machines.docker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * A small blocking HTTP/1.1 client for the Docker Engine API (and Podman's compatible one): one
 * connection per request, bodies read whole, as a stream, or after a hijack for attach.
 *
 * <p>Failures to reach the runtime are {@link MachineException}s of kind UNAVAILABLE; a timeout or
 * a broken answer is RUNTIME. HTTP error statuses are returned, not thrown: what they mean depends
 * on the request.
 */
public final class DockerClient {
  /** The Engine API version every compat path is prefixed with. */
  public static final String API = "/v1.41";

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  private static final int MAX_BODY = 32 * 1024 * 1024;

  private final DockerHost host;
  private final ObjectMapper mapper;

  public DockerClient(DockerHost host) {
    this(host, new ObjectMapper());
  }

  public DockerClient(DockerHost host, ObjectMapper mapper) {
    this.host = host;
    this.mapper = mapper;
  }

  public DockerHost host() {
    return host;
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  public HttpResponse get(String path) {
    return call("GET", path, null, null, DEFAULT_TIMEOUT);
  }

  public HttpResponse post(String path) {
    return call("POST", path, null, null, DEFAULT_TIMEOUT);
  }

  public HttpResponse delete(String path) {
    return call("DELETE", path, null, null, DEFAULT_TIMEOUT);
  }

  public HttpResponse postJson(String path, Object json) {
    try {
      return call(
          "POST", path, mapper.writeValueAsBytes(json), "application/json", DEFAULT_TIMEOUT);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write request JSON", e);
    }
  }

  /** A request whose answer is read whole; {@code timeout} bounds the whole exchange. */
  public HttpResponse call(
      String method, String path, byte[] body, String contentType, Duration timeout) {
    DockerConnection c = open(method, path, body, contentType, timeout, false);
    try {
      return c.drain(MAX_BODY);
    } catch (IOException e) {
      throw broken(method, path, e);
    }
  }

  /**
   * A request whose answer body is read as it arrives (logs, pull progress). {@code timeout}, if
   * not null, bounds the whole exchange, body included. The caller closes the connection.
   */
  public DockerConnection stream(String method, String path, Duration timeout) {
    DockerConnection c = open(method, path, null, null, timeout, false);
    if (timeout == null) {
      c.disarm();
    }
    return c;
  }

  /**
   * Attach: asks to upgrade the connection to a raw stream. Docker answers 101, Podman 101 or 200;
   * either way the body is then the raw multiplexed output and the connection takes stdin.
   */
  public DockerConnection hijack(String method, String path) {
    DockerConnection c = open(method, path, null, null, DEFAULT_TIMEOUT, true);
    if (c.status() == 101 || (c.status() >= 200 && c.status() < 300)) {
      c.disarm();
    }
    return c;
  }

  private DockerConnection open(
      String method,
      String path,
      byte[] body,
      String contentType,
      Duration timeout,
      boolean hijack) {
    DockerConnection c;
    try {
      c = DockerConnection.connect(host, timeout == null ? DEFAULT_TIMEOUT : timeout);
    } catch (IOException e) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "cannot reach the container runtime at " + host.uri() + ": " + reason(e),
          e);
    }
    StringBuilder head = new StringBuilder(256);
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(host.hostHeader()).append("\r\n");
    head.append("User-Agent: execbox\r\n");
    if (hijack) {
      head.append("Connection: Upgrade\r\nUpgrade: tcp\r\n");
    } else {
      head.append("Connection: close\r\n");
    }
    if (body != null) {
      head.append("Content-Type: ").append(contentType).append("\r\n");
    }
    if (body != null || !"GET".equals(method)) {
      head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n");
    }
    head.append("\r\n");
    try {
      c.exchange(head.toString(), body, hijack, "HEAD".equals(method));
    } catch (SocketTimeoutException e) {
      throw broken(method, path, e);
    } catch (IOException e) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "the container runtime at " + host.uri() + " did not answer: " + reason(e),
          e);
    }
    return c;
  }

  private MachineException broken(String method, String path, IOException e) {
    return new MachineException(
        Kind.RUNTIME,
        method + " " + stripQuery(path) + " on " + host.uri() + " failed: " + reason(e),
        e);
  }

  private static String stripQuery(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  static String reason(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
