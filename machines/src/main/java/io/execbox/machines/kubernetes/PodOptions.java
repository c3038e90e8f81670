package io.execbox.machines.kubernetes;

/**
 * Settings of the kubernetes driver.
 *
 * @param namespace where session Pods live
 * @param imagePullPolicy IfNotPresent by default: a {@code :latest} image would otherwise be pulled
 *     on every start
 * @param installation the installation id label, as on the docker backend
 */
public record PodOptions(String namespace, String imagePullPolicy, String installation) {
  public PodOptions {
    if (namespace == null || namespace.isBlank()) {
      namespace = "execbox";
    }
    if (imagePullPolicy == null || imagePullPolicy.isBlank()) {
      imagePullPolicy = "IfNotPresent";
    }
  }
}
