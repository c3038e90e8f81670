package io.execbox.server;

/**
 * The same contract through an api-only replica, with the operator in a process of its own (the
 * Helm chart's deployment): stdin, stdin-close and stderr apart reach the client through the
 * operator that holds the session's stdio.
 */
class KubernetesSplitSessionsIT extends SessionsContract {
  @Override
  TestServer server() {
    return TestServer.kubernetesSplit();
  }
}
