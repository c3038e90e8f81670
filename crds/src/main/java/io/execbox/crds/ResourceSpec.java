package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Limits of one session. Absent fields take the server's defaults. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResourceSpec {
  public static final int MIN_CPU_MILLIS = 100;
  public static final int MAX_CPU_MILLIS = 8000;
  public static final int MIN_MEMORY_MB = 128;
  public static final int MAX_MEMORY_MB = 8192;
  public static final int MIN_TIMEOUT_MS = 1000;
  public static final int MAX_TIMEOUT_MS = 300_000;

  @JsonPropertyDescription("CPU limit in thousandths of a core, 100 to 8000.")
  @Min(MIN_CPU_MILLIS)
  @Max(MAX_CPU_MILLIS)
  private Integer cpuMillis;

  @JsonPropertyDescription(
      "Memory limit in MiB, 128 to 8192; the command is killed (exit 137) above it.")
  @Min(MIN_MEMORY_MB)
  @Max(MAX_MEMORY_MB)
  private Integer memoryMB;

  @JsonPropertyDescription(
      "Deadline in milliseconds from creation, 1000 to 300000; the session is killed (exit 137) at it.")
  @Min(MIN_TIMEOUT_MS)
  @Max(MAX_TIMEOUT_MS)
  private Integer timeoutMs;

  public ResourceSpec() {}

  public ResourceSpec(Integer cpuMillis, Integer memoryMB, Integer timeoutMs) {
    this.cpuMillis = cpuMillis;
    this.memoryMB = memoryMB;
    this.timeoutMs = timeoutMs;
  }

  public Integer getCpuMillis() {
    return cpuMillis;
  }

  public void setCpuMillis(Integer cpuMillis) {
    this.cpuMillis = cpuMillis;
  }

  public Integer getMemoryMB() {
    return memoryMB;
  }

  public void setMemoryMB(Integer memoryMB) {
    this.memoryMB = memoryMB;
  }

  public Integer getTimeoutMs() {
    return timeoutMs;
  }

  public void setTimeoutMs(Integer timeoutMs) {
    this.timeoutMs = timeoutMs;
  }
}
