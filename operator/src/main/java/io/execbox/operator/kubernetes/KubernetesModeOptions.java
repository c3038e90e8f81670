package io.execbox.operator.kubernetes;

import java.time.Duration;
import java.util.Map;

/**
 * Settings of kubernetes mode.
 *
 * @param namespace where Session resources and their Pods live
 * @param defaultAccount the account of Session resources applied directly (kubectl) in a namespace
 *     not named in {@code namespaceAccounts}
 * @param namespaceAccounts account per namespace for directly applied resources
 * @param defaultTimeoutMs the deadline of a resource that gives none
 * @param storeTimeout the longest a reconcile waits for PostgreSQL
 */
public record KubernetesModeOptions(
    String namespace,
    String defaultAccount,
    Map<String, String> namespaceAccounts,
    int defaultTimeoutMs,
    Duration storeTimeout) {
  public String accountFor(String ns) {
    return namespaceAccounts.getOrDefault(ns, defaultAccount);
  }
}
