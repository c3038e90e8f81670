package io.execbox.server;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The container runtime of the docker backend, named as every Docker client names it.
 *
 * @param host Docker Engine API socket, unix:///… or tcp://…. When absent, /var/run/docker.sock,
 *     then Podman's sockets.
 */
@ConfigurationProperties("docker")
public record DockerProperties(String host) {}
