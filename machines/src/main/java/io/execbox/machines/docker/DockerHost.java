package io.execbox.machines.docker;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Where the Docker Engine API listens: {@code unix:///path/to/socket} or {@code tcp://host:port}.
 *
 * @param uri the address as configured, for messages and the {@code Host} header
 */
public record DockerHost(String uri) {
  static final String DOCKER_SOCKET = "/var/run/docker.sock";
  static final String PODMAN_ROOT_SOCKET = "/run/podman/podman.sock";

  public DockerHost {
    address(uri);
  }

  /**
   * The configured value (from {@code DOCKER_HOST}) if it is not blank, else the first socket that
   * exists of Docker's, the user's Podman and the system Podman.
   */
  public static DockerHost resolve(String configured) {
    return resolve(configured, System.getenv("XDG_RUNTIME_DIR"), Files::exists);
  }

  static DockerHost resolve(String configured, String xdgRuntimeDir, Predicate<Path> exists) {
    if (configured != null && !configured.isBlank()) {
      return new DockerHost(configured.strip());
    }
    List<Path> candidates = new ArrayList<>();
    candidates.add(Path.of(DOCKER_SOCKET));
    if (xdgRuntimeDir != null && !xdgRuntimeDir.isBlank()) {
      candidates.add(Path.of(xdgRuntimeDir, "podman", "podman.sock"));
    }
    candidates.add(Path.of(PODMAN_ROOT_SOCKET));
    for (Path p : candidates) {
      if (exists.test(p)) {
        return new DockerHost("unix://" + p);
      }
    }
    throw new IllegalStateException(
        "no Docker or Podman socket found: set DOCKER_HOST=unix:///path/to/socket or start"
            + " `podman system service`");
  }

  /** The socket address to connect to. */
  public SocketAddress address() {
    return address(uri);
  }

  /** The value of the {@code Host} header: any name will do for a Unix socket. */
  String hostHeader() {
    if (uri.startsWith("unix:")) {
      return "docker";
    }
    InetSocketAddress a = (InetSocketAddress) address();
    return a.getHostString() + ":" + a.getPort();
  }

  private static SocketAddress address(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("empty Docker host");
    }
    if (uri.startsWith("unix://")) {
      String path = uri.substring("unix://".length());
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException(
            "DOCKER_HOST " + uri + " must name an absolute socket path: unix:///path/to/socket");
      }
      return UnixDomainSocketAddress.of(path);
    }
    if (uri.startsWith("tcp://") || uri.startsWith("http://")) {
      URI u = URI.create(uri);
      if (u.getHost() == null || u.getPort() < 0) {
        throw new IllegalArgumentException("DOCKER_HOST " + uri + " must be tcp://host:port");
      }
      return InetSocketAddress.createUnresolved(u.getHost(), u.getPort());
    }
    throw new IllegalArgumentException(
        "DOCKER_HOST " + uri + " is neither unix:///path nor tcp://host:port");
  }
}
