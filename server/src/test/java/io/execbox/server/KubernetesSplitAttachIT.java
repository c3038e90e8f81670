package io.execbox.server;

/**
 * The attach contract through an api-only replica, with the operator in a process of its own (the
 * Helm chart's deployment): replay, late and concurrent clients, 10 MiB and protocol abuse, with
 * every live client forwarded to the operator that holds the session's stdio.
 */
class KubernetesSplitAttachIT extends AttachContract {
  @Override
  TestServer server() {
    return TestServer.kubernetesSplit();
  }
}
