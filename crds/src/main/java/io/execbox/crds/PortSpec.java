package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A container port published when the network mode is {@code exposed}. */
public class PortSpec {
  @JsonPropertyDescription("Port inside the machine, 1 to 65535.")
  @Required
  @Min(1)
  @Max(65535)
  private Integer container;

  @JsonPropertyDescription("tcp (default) or udp.")
  @Pattern("^(tcp|udp)$")
  private String protocol;

  public PortSpec() {}

  public PortSpec(Integer container, String protocol) {
    this.container = container;
    this.protocol = protocol;
  }

  public Integer getContainer() {
    return container;
  }

  public void setContainer(Integer container) {
    this.container = container;
  }

  public String getProtocol() {
    return protocol;
  }

  public void setProtocol(String protocol) {
    this.protocol = protocol;
  }

  public String protocolOrDefault() {
    return protocol == null ? "tcp" : protocol;
  }
}
