package io.execbox.machines.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

/**
 * The Kubernetes objects one session needs, as {@link PodSpecs#objects} builds them.
 *
 * @param pod the session's Pod
 * @param files the Secret of its files, null when it has none
 * @param service the Service of an exposed session's ports, null otherwise
 * @param networkPolicy the NetworkPolicy of its network mode, shared with every session of that
 *     mode
 */
public record DesiredObjects(Pod pod, Secret files, Service service, NetworkPolicy networkPolicy) {}
