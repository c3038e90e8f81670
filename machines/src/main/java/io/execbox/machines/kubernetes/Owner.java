package io.execbox.machines.kubernetes;

/** The Session resource that owns a Pod: its objects are garbage-collected with it. */
public record Owner(String apiVersion, String kind, String name, String uid) {}
