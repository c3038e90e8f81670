package io.execbox.api.sessions;

/** The answer to stop and delete. */
public record StatusView(String status) {}
