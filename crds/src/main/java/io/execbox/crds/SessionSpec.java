package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import java.util.Map;

/**
 * The desired session: exactly the create request of docs/API.md. It is the spec of the Session
 * custom resource and the JSON kept in the session's row, so both control modes read the same
 * thing.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SessionSpec {
  @JsonPropertyDescription("Container image to run, for example python:3.12.")
  @Required
  @Size(min = 1, max = 512)
  @Pattern("^\\S+$")
  private String image;

  @JsonPropertyDescription(
      "Command and arguments; the image's default command when absent. Not empty when given.")
  @Size(min = 1)
  private List<String> command;

  @JsonPropertyDescription("Environment variables for the command.")
  private Map<String, String> env;

  @JsonPropertyDescription("Working directory of the command: an absolute path.")
  @Pattern("^/")
  private String workDir;

  @JsonPropertyDescription("CPU, memory and deadline limits.")
  private ResourceSpec resources;

  @JsonPropertyDescription("none, outgoing (default) or exposed.")
  private NetworkMode network;

  @JsonPropertyDescription("Ports to publish when network is exposed.")
  private List<PortSpec> ports;

  @JsonPropertyDescription("Files written before the command starts.")
  private List<FileSpec> files;

  @JsonPropertyDescription(
      "Setup commands. Not supported on Kubernetes, so it must be empty here: run the steps in"
          + " command.")
  @Size(max = 0)
  private List<String> setup;

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public List<String> getCommand() {
    return command;
  }

  public void setCommand(List<String> command) {
    this.command = command;
  }

  public Map<String, String> getEnv() {
    return env;
  }

  public void setEnv(Map<String, String> env) {
    this.env = env;
  }

  public String getWorkDir() {
    return workDir;
  }

  public void setWorkDir(String workDir) {
    this.workDir = workDir;
  }

  public ResourceSpec getResources() {
    return resources;
  }

  public void setResources(ResourceSpec resources) {
    this.resources = resources;
  }

  public NetworkMode getNetwork() {
    return network;
  }

  public void setNetwork(NetworkMode network) {
    this.network = network;
  }

  public List<PortSpec> getPorts() {
    return ports;
  }

  public void setPorts(List<PortSpec> ports) {
    this.ports = ports;
  }

  public List<FileSpec> getFiles() {
    return files;
  }

  public void setFiles(List<FileSpec> files) {
    this.files = files;
  }

  public List<String> getSetup() {
    return setup;
  }

  public void setSetup(List<String> setup) {
    this.setup = setup;
  }

  public NetworkMode networkOrDefault() {
    return network == null ? NetworkMode.OUTGOING : network;
  }
}
