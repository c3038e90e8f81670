package io.execbox.machines.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class EgressFilterTest {
  static final ManagedNetwork.Bridge BRIDGE =
      new ManagedNetwork.Bridge("execbox", "eb-execbox", List.of("10.89.3.1"));

  @Test
  void theRulesetReplacesOneTableAndRejectsEachRangeAndTheHostButItsDns() {
    String r = EgressFilter.ruleset(BRIDGE);
    assertThat(r)
        .startsWith(
            "table inet execbox_egress_execbox\ndelete table inet execbox_egress_execbox\n");
    for (String range : EgressFilter.BLOCKED_V4) {
      assertThat(r)
          .contains(
              "iifname \"eb-execbox\" ip daddr "
                  + range
                  + " reject with icmpx type admin-prohibited\n");
    }
    assertThat(r)
        .contains("iifname \"eb-execbox\" ip daddr 10.89.3.1 udp dport 53 accept\n")
        .contains("iifname \"eb-execbox\" ip daddr 10.89.3.1 tcp dport 53 accept\n")
        .contains("iifname \"eb-execbox\" reject with icmpx type admin-prohibited\n");
    // answers to connections made to a session pass before any reject
    assertThat(r.indexOf("ct state established,related accept")).isLessThan(r.indexOf("reject"));
  }

  @Test
  void aListingIsCheckedRuleByRule() {
    String whole =
        """
        table inet execbox_egress_execbox {
        \tchain forward {
        \t\ttype filter hook forward priority filter - 10; policy accept;
        \t\tiifname "eb-execbox" ct state established,related accept
        \t\tiifname "eb-execbox" ip daddr 10.0.0.0/8 reject with icmpx admin-prohibited
        \t\tiifname "eb-execbox" ip daddr 172.16.0.0/12 reject with icmpx admin-prohibited
        \t\tiifname "eb-execbox" ip daddr 192.168.0.0/16 reject with icmpx admin-prohibited
        \t\tiifname "eb-execbox" ip daddr 169.254.0.0/16 reject with icmpx admin-prohibited
        \t\tiifname "eb-execbox" ip daddr 100.64.0.0/10 reject with icmpx admin-prohibited
        \t}
        \tchain input {
        \t\ttype filter hook input priority filter - 10; policy accept;
        \t\tiifname "eb-execbox" reject with icmpx admin-prohibited
        \t}
        }
        """;
    assertThat(EgressFilter.missing(whole, BRIDGE)).isEmpty();
    assertThat(EgressFilter.missing(whole.replace("169.254.0.0/16", "169.254.0.0/24"), BRIDGE))
        .containsExactly("the reject of 169.254.0.0/16");
    assertThat(EgressFilter.missing(whole.replace("eb-execbox", "podman0"), BRIDGE)).hasSize(6);
    assertThat(EgressFilter.missing("", BRIDGE)).hasSize(8);
  }

  @Test
  void namesFitTheKernelAndNft() {
    assertThat(ManagedNetwork.iface("execbox")).isEqualTo("eb-execbox");
    assertThat(ManagedNetwork.iface("A.very-long.network_name")).hasSize(15);
    assertThat(EgressFilter.table("my-net.1")).isEqualTo("execbox_egress_my_net_1");
  }
}
