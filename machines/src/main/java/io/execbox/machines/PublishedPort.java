package io.execbox.machines;

/** A container port published on the host, for network mode {@code exposed}. */
public record PublishedPort(int containerPort, String protocol, String host, int hostPort) {}
