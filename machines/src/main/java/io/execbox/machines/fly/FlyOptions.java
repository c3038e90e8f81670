package io.execbox.machines.fly;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How the fly backend reaches the Machines API and what it asks of each session's machine.
 *
 * @param apiUrl the Machines API: {@code https://api.machines.dev}, {@code
 *     http://_api.internal:4280} from inside Fly's private network, or a simulator; without the
 *     {@code /v1}
 * @param apiToken the token sent as {@code Authorization: Bearer}; never logged
 * @param app the dedicated sessions app every session's machine is created in
 * @param region where machines are created, or null for the API's choice
 * @param agentPort the port the agent listens on inside each machine (on every address)
 * @param installation names this installation in each machine's metadata, so that the orphan sweep
 *     lists only its own machines
 * @param stopGrace the stop timeout given to Fly (stop_config and the API's stop)
 * @param waitTimeout the timeout of one call of the wait endpoint (1 to 60 s; a 408 is waited on
 *     again)
 */
public record FlyOptions(
    URI apiUrl,
    String apiToken,
    String app,
    String region,
    int agentPort,
    String installation,
    Duration stopGrace,
    Duration waitTimeout) {
  public static final int DEFAULT_AGENT_PORT = 7070;

  public FlyOptions {
    Objects.requireNonNull(apiUrl, "apiUrl");
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(installation, "installation");
    if (apiToken == null || apiToken.isBlank()) {
      throw new IllegalArgumentException("the fly backend needs a Machines API token");
    }
    if (agentPort < 1 || agentPort > 65535) {
      throw new IllegalArgumentException("agentPort must be 1 to 65535: " + agentPort);
    }
    if (waitTimeout.compareTo(Duration.ofSeconds(1)) < 0
        || waitTimeout.compareTo(Duration.ofSeconds(60)) > 0) {
      throw new IllegalArgumentException("waitTimeout must be 1 to 60 s: " + waitTimeout);
    }
  }

  /** Options with the defaults: port 7070, 10 s grace, 60 s waits. */
  public static FlyOptions of(URI apiUrl, String apiToken, String app, String installation) {
    return new FlyOptions(
        apiUrl,
        apiToken,
        app,
        null,
        DEFAULT_AGENT_PORT,
        installation,
        Duration.ofSeconds(10),
        Duration.ofSeconds(60));
  }

  public FlyOptions withAgentPort(int port) {
    return new FlyOptions(
        apiUrl, apiToken, app, region, port, installation, stopGrace, waitTimeout);
  }

  public FlyOptions withWaitTimeout(Duration d) {
    return new FlyOptions(apiUrl, apiToken, app, region, agentPort, installation, stopGrace, d);
  }

  public FlyOptions withStopGrace(Duration d) {
    return new FlyOptions(apiUrl, apiToken, app, region, agentPort, installation, d, waitTimeout);
  }

  /** Never the token. */
  @Override
  public String toString() {
    return "FlyOptions[apiUrl=" + apiUrl + ", app=" + app + ", region=" + region + "]";
  }
}
