package io.execbox.machines.fly;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.crds.FileSpec;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.MachineException;
import io.execbox.machines.MachineException.Kind;
import io.execbox.machines.MachineSpec;
import io.execbox.machines.agent.AgentBinary;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The create request of a session's machine: the session's image with the agent as its init (in
 * front of the session's command), the agent binary and the session's files as machine files, the
 * env with the agent's secret, a guest sized to the session's limits in Fly's steps, restart policy
 * {@code no}, the stop signal and timeout, and metadata naming the session, its account and the
 * installation.
 */
final class FlyMachineConfig {
  /** Where the agent is written in each machine. */
  static final String AGENT_PATH = "/.execbox/execbox-agent";

  static final String SECRET_ENV = "EXECBOX_AGENT_SECRET";

  static final String META_SESSION = "execbox_session";
  static final String META_OWNER = "execbox_owner";
  static final String META_INSTALLATION = "execbox_installation";

  /** Fly's memory step, and the memory per shared CPU at most (fly-go's presets). */
  static final int MEMORY_STEP_MB = 256;

  static final int MAX_MB_PER_SHARED_CPU = 2048;
  static final int MAX_SHARED_CPUS = 8;

  private FlyMachineConfig() {}

  static ObjectNode create(MachineSpec m, FlyOptions o, String secret, ObjectMapper mapper) {
    SessionSpec s = m.spec();
    List<String> command = s.getCommand();
    if (command == null || command.isEmpty()) {
      throw new MachineException(
          Kind.INVALID_SPEC,
          "the fly backend needs the session's command (it runs behind the agent)");
    }
    if (s.getWorkDir() != null) {
      throw new MachineException(Kind.INVALID_SPEC, "the fly backend does not support workDir yet");
    }
    ObjectNode body = mapper.createObjectNode();
    body.put("name", FlyBackend.machineName(m.sessionId()));
    if (o.region() != null) {
      body.put("region", o.region());
    }
    ObjectNode c = body.putObject("config");
    c.put("image", s.getImage());
    ArrayNode exec = c.putObject("init").putArray("exec");
    exec.add(AGENT_PATH).add("--listen").add("[::]:" + o.agentPort()).add("--");
    command.forEach(exec::add);
    ObjectNode env = c.putObject("env");
    if (s.getEnv() != null) {
      for (Map.Entry<String, String> e : s.getEnv().entrySet()) {
        if (e.getKey().startsWith("EXECBOX_AGENT_")) {
          throw new MachineException(
              Kind.INVALID_SPEC, "env " + e.getKey() + " is reserved for the agent");
        }
        env.put(e.getKey(), e.getValue());
      }
    }
    env.put(SECRET_ENV, secret);
    guest(c.putObject("guest"), m.cpuMillis(), m.memoryMB());
    c.putObject("restart").put("policy", "no");
    c.put("auto_destroy", false);
    c.putObject("stop_config")
        .put("signal", "SIGTERM")
        .put("timeout", Math.max(1, o.stopGrace().toSeconds()) + "s");
    ArrayNode files = c.putArray("files");
    files
        .addObject()
        .put("guest_path", AGENT_PATH)
        .put("raw_value", Base64.getEncoder().encodeToString(AgentBinary.bytes()))
        .put("mode", 0555);
    if (s.getFiles() != null) {
      for (FileSpec f : s.getFiles()) {
        files
            .addObject()
            .put("guest_path", path(f))
            .put("raw_value", Base64.getEncoder().encodeToString(content(f)))
            .put("mode", 0644);
      }
    }
    c.putObject("metadata")
        .put(META_SESSION, m.sessionId())
        .put(META_OWNER, m.ownerId())
        .put(META_INSTALLATION, o.installation());
    return body;
  }

  /**
   * The guest for a CPU limit in millis and a memory limit in MB: whole shared CPUs (rounded up),
   * memory rounded up to Fly's 256 MB steps, and more CPUs if the memory needs them (at most 2 GB
   * per shared CPU).
   */
  static void guest(ObjectNode g, int cpuMillis, int memoryMB) {
    int mb = Math.max(MEMORY_STEP_MB, ceilTo(memoryMB, MEMORY_STEP_MB));
    int cpus = Math.max(1, (cpuMillis + 999) / 1000);
    cpus = Math.max(cpus, (mb + MAX_MB_PER_SHARED_CPU - 1) / MAX_MB_PER_SHARED_CPU);
    if (cpus > MAX_SHARED_CPUS) {
      throw new MachineException(
          Kind.INVALID_SPEC,
          "a fly machine has at most "
              + MAX_SHARED_CPUS
              + " shared CPUs and "
              + MAX_SHARED_CPUS * MAX_MB_PER_SHARED_CPU
              + " MB");
    }
    g.put("cpu_kind", "shared").put("cpus", cpus).put("memory_mb", mb);
  }

  private static int ceilTo(int v, int step) {
    return (v + step - 1) / step * step;
  }

  private static String path(FileSpec f) {
    String p = f.getPath();
    if (p == null
        || !p.startsWith("/")
        || p.endsWith("/")
        || p.contains("/../")
        || p.contains("//")) {
      throw new MachineException(
          Kind.INVALID_SPEC, "file path must be absolute and normalized: " + p);
    }
    if (p.startsWith("/.execbox/")) {
      throw new MachineException(
          Kind.INVALID_SPEC, "file path " + p + " is reserved for the agent");
    }
    return p;
  }

  private static byte[] content(FileSpec f) {
    if (f.getContent() == null) {
      throw new MachineException(Kind.INVALID_SPEC, "file " + f.getPath() + " has no content");
    }
    try {
      return f.bytes();
    } catch (IllegalArgumentException e) {
      throw new MachineException(Kind.INVALID_SPEC, "file " + f.getPath() + " is not valid base64");
    }
  }
}
