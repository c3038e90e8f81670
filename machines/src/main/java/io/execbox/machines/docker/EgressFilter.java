package io.execbox.machines.docker;

import io.execbox.machines.DaemonThreads;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The host's packet filter (nftables) in front of the managed network: packets that come in from
 * its bridge may not go to private, link-local (the cloud metadata service) or shared address
 * ranges, nor to any address of the host itself, except the network's DNS server on its gateway.
 * Answers to connections made to a session (its published ports) pass.
 *
 * <p>One table per network, {@code inet execbox_egress_<network>}, replaced whole in one
 * transaction, so that it is never half there. It matches the bridge by name, so it holds while the
 * runtime removes and re-creates the bridge with its last and first container.
 */
final class EgressFilter {
  /** The ranges the kubernetes backend's NetworkPolicy leaves out too. */
  static final List<String> BLOCKED_V4 =
      List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10");

  private static final String REJECT = "reject with icmpx type admin-prohibited";
  private static final long TIMEOUT_SECONDS = 10;

  private final String nft;

  EgressFilter() {
    this(locate());
  }

  EgressFilter(String nft) {
    this.nft = nft;
  }

  /** {@code execbox_egress_<network>}, with what nft takes in an identifier. */
  static String table(String network) {
    return "execbox_egress_" + network.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
  }

  /** The nft script that replaces the table of {@code bridge} in one transaction. */
  static String ruleset(ManagedNetwork.Bridge bridge) {
    String t = "inet " + table(bridge.network());
    String in = "    iifname \"" + bridge.iface() + "\" ";
    StringBuilder s = new StringBuilder();
    s.append("table ").append(t).append("\n");
    s.append("delete table ").append(t).append("\n");
    s.append("table ").append(t).append(" {\n");
    s.append("  chain forward {\n");
    s.append("    type filter hook forward priority filter - 10; policy accept;\n");
    s.append(in).append("ct state established,related accept\n");
    for (String range : BLOCKED_V4) {
      s.append(in).append("ip daddr ").append(range).append(' ').append(REJECT).append('\n');
    }
    // The network has no IPv6 of its own; nothing of it goes anywhere over IPv6.
    s.append(in).append("meta nfproto ipv6 ").append(REJECT).append('\n');
    s.append("  }\n");
    s.append("  chain input {\n");
    s.append("    type filter hook input priority filter - 10; policy accept;\n");
    s.append(in).append("ct state established,related accept\n");
    for (String gw : bridge.gateways()) {
      String family = gw.contains(":") ? "ip6" : "ip";
      for (String proto : List.of("udp", "tcp")) {
        s.append(in)
            .append(family)
            .append(" daddr ")
            .append(gw)
            .append(' ')
            .append(proto)
            .append(" dport 53 accept\n");
      }
    }
    s.append(in).append(REJECT).append('\n');
    s.append("  }\n");
    s.append("}\n");
    return s.toString();
  }

  /**
   * What of the filter for {@code bridge} a listing of its table ({@code nft list table}) lacks;
   * empty when it is all there.
   */
  static List<String> missing(String listing, ManagedNetwork.Bridge bridge) {
    List<String> lines = listing.lines().map(String::strip).toList();
    String in = "iifname \"" + bridge.iface() + "\" ";
    List<String> out = new ArrayList<>();
    for (String range : BLOCKED_V4) {
      String rule = in + "ip daddr " + range + " reject with icmpx admin-prohibited";
      if (!lines.contains(rule)) {
        out.add("the reject of " + range);
      }
    }
    if (!lines.contains(in + "reject with icmpx admin-prohibited")) {
      out.add("the reject of the host's own addresses");
    }
    if (!lines.contains("type filter hook forward priority filter - 10; policy accept;")) {
      out.add("the forward chain");
    }
    if (!lines.contains("type filter hook input priority filter - 10; policy accept;")) {
      out.add("the input chain");
    }
    return out;
  }

  /** Puts the table in place unless a listing shows it whole already. */
  void ensure(ManagedNetwork.Bridge bridge) {
    if (missing(list(bridge.network()), bridge).isEmpty()) {
      return;
    }
    run(List.of(nft, "-f", "-"), ruleset(bridge));
    List<String> gaps = missing(list(bridge.network()), bridge);
    if (!gaps.isEmpty()) {
      throw new MachineException(
          Kind.UNAVAILABLE,
          "the packet filter of network " + bridge.network() + " lacks " + String.join(", ", gaps));
    }
  }

  /** The table as nft lists it, or "" when there is none. */
  String list(String network) {
    try {
      return run(List.of(nft, "list", "table", "inet", table(network)), null);
    } catch (MachineException e) {
      if (e.getMessage().contains("No such file or directory")) {
        return "";
      }
      throw e;
    }
  }

  /** Removes the table of {@code network}, if any. */
  void remove(String network) {
    if (!list(network).isEmpty()) {
      run(List.of(nft, "delete", "table", "inet", table(network)), null);
    }
  }

  private static String run(List<String> command, String stdin) {
    Process p;
    try {
      p = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new MachineException(
          Kind.UNAVAILABLE, "cannot run " + command.get(0) + ": " + e.getMessage(), e);
    }
    CompletableFuture<byte[]> out = drain(p.getInputStream());
    CompletableFuture<byte[]> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // nft failed before it read its input; its own message says why
    }
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new MachineException(
            Kind.UNAVAILABLE, String.join(" ", command) + " did not finish in 10 s");
      }
      String stderr = new String(err.join(), StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0) {
        throw new MachineException(
            Kind.UNAVAILABLE,
            String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + stderr);
      }
      return new String(out.join(), StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new MachineException(Kind.UNAVAILABLE, "interrupted while running nft", e);
    }
  }

  private static CompletableFuture<byte[]> drain(InputStream s) {
    CompletableFuture<byte[]> f = new CompletableFuture<>();
    DaemonThreads.daemon(
            () -> {
              ByteArrayOutputStream b = new ByteArrayOutputStream();
              try (s) {
                s.transferTo(b);
              } catch (IOException e) {
                // the process went; what was read is what there is
              }
              f.complete(b.toByteArray());
            },
            "execbox-nft")
        .start();
    return f;
  }

  /** nft from PATH, else where Debian puts it (a non-root PATH often lacks /usr/sbin). */
  private static String locate() {
    String path = System.getenv("PATH");
    List<String> dirs = new ArrayList<>();
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(List.of("/usr/sbin", "/sbin"));
    for (String d : dirs) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, "nft"))) {
        return Path.of(d, "nft").toString();
      }
    }
    return "nft";
  }
}
