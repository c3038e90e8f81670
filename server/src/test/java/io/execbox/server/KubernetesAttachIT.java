package io.execbox.server;

/**
 * The same contract, run against the server with the kubernetes backend on the real node: Pods that
 * really run, attached through {@code pods/attach}.
 */
class KubernetesAttachIT extends AttachContract {
  @Override
  TestServer server() {
    return TestServer.kubernetes();
  }
}
