package io.execbox.machines.docker;

import static io.execbox.machines.docker.Containers.enc;
import static io.execbox.machines.docker.Containers.failure;
import static io.execbox.machines.docker.DockerClient.API;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.crds.Labels;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bridge network of {@code outgoing} and {@code exposed} sessions, created when missing, and
 * what the host's packet filter needs to know of it: its bridge interface and gateway addresses.
 */
final class ManagedNetwork {
  /** Where Podman's own API (not the Docker-compatible one) answers. */
  private static final String LIBPOD = "/v4.0.0/libpod";

  private static final String BRIDGE_NAME_OPTION = "com.docker.network.bridge.name";

  /** What the filter needs of a network. */
  record Bridge(String network, String iface, List<String> gateways) {}

  private final DockerClient client;

  ManagedNetwork(DockerClient client) {
    this.client = client;
  }

  /**
   * The network of {@code settings}, created when missing, and its filter when it is to have one;
   * {@code local} says whether the runtime is on this host, whose packet filter this process sets.
   */
  Bridge ensure(DockerOptions.Network settings, boolean podman, boolean local, EgressFilter f) {
    Bridge bridge = ensure(settings.name(), podman);
    if (settings.filtered()) {
      if (!local) {
        throw new MachineException(
            Kind.UNAVAILABLE,
            "the runtime at "
                + client.host().uri()
                + " is on another host, whose packet filter execbox cannot set");
      }
      f.ensure(bridge);
    }
    return bridge;
  }

  /**
   * The network {@code name}, created as a bridge with interface {@link #iface(String)} (and, on
   * Podman, its DNS server on the gateway) when the runtime has none of that name.
   */
  Bridge ensure(String name, boolean podman) {
    JsonNode n = inspect(name);
    if (n == null) {
      create(name);
      n = inspect(name);
      if (n == null) {
        throw new MachineException(Kind.RUNTIME, "network " + name + " vanished after its create");
      }
    }
    if (!"bridge".equals(n.path("Driver").asText())) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "network "
              + name
              + " has driver "
              + n.path("Driver").asText()
              + ", not bridge: remove it or name another network for execbox");
    }
    List<String> gateways = new ArrayList<>();
    for (JsonNode cfg : n.path("IPAM").path("Config")) {
      String gw = cfg.path("Gateway").asText("");
      if (!gw.isEmpty()) {
        gateways.add(gw);
      }
    }
    return new Bridge(name, podman ? podmanIface(name) : dockerIface(n), gateways);
  }

  /** A bridge name of at most 15 characters (the kernel's limit) derived from the network's. */
  static String iface(String network) {
    String s = "eb-" + network.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "");
    return s.length() > 15 ? s.substring(0, 15) : s;
  }

  private JsonNode inspect(String name) {
    HttpResponse r = client.get(API + "/networks/" + enc(name));
    if (r.status() == 404) {
      return null;
    }
    if (!r.ok()) {
      throw failure("inspect network " + name, r, false);
    }
    return r.json(client.mapper());
  }

  private void create(String name) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("Name", name);
    body.put("Driver", "bridge");
    body.put("CheckDuplicate", true);
    body.putObject("Options").put(BRIDGE_NAME_OPTION, iface(name));
    body.putObject("Labels").put(Labels.MANAGED, "true");
    HttpResponse r = client.postJson(API + "/networks/create", body);
    // Another process created it first: Docker answers 409, Podman 500 "network already exists".
    if (r.ok()
        || r.status() == 409
        || r.message().toLowerCase(Locale.ROOT).contains("already exists")) {
      return;
    }
    throw failure("create network " + name, r, false);
  }

  /** Podman's compatible inspect leaves the interface out; its own API names it. */
  private String podmanIface(String name) {
    HttpResponse r = client.get(LIBPOD + "/networks/" + enc(name) + "/json");
    if (!r.ok()) {
      throw failure("inspect network " + name + " (libpod)", r, false);
    }
    String iface = r.json(client.mapper()).path("network_interface").asText("");
    if (iface.isEmpty()) {
      throw new MachineException(Kind.RUNTIME, "Podman names no interface for network " + name);
    }
    return iface;
  }

  /** Docker names a bridge {@code br-<id>} unless it was created with a name. */
  private static String dockerIface(JsonNode n) {
    String named = n.path("Options").path(BRIDGE_NAME_OPTION).asText("");
    if (!named.isEmpty()) {
      return named;
    }
    String id = n.path("Id").asText("");
    return "br-" + (id.length() > 12 ? id.substring(0, 12) : id);
  }
}
