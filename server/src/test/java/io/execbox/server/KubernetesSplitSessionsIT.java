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

  /**
   * Behind the in-machine agent an OOM kill is the command's SIGKILL (137); the kubelet names it
   * only once the agent has exited, after the exit was reported. Reading the cgroup's oom_kill
   * count in the agent is the next step.
   */
  @Override
  boolean runtimeReportsOomKills() {
    return false;
  }
}
