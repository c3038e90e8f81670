package io.execbox.machines.docker;

import static io.execbox.machines.docker.DockerRuns.shell;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.execbox.crds.FileSpec;
import io.execbox.crds.NetworkMode;
import io.execbox.crds.SessionSpec;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The sandbox settings of the docker backend, each read back from inside a real container. */
@EnabledIfEnvironmentVariable(
    named = "DOCKER_HOST",
    matches = ".*\\S.*",
    disabledReason = "DOCKER_HOST is unset: set it to a Podman socket to run DockerSandboxIT")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerSandboxIT {
  static final long MIB = 1024L * 1024;

  static DockerClient client;
  static DockerBackend defaults;
  static DockerRuns runs;

  @BeforeAll
  static void connect() {
    client = new DockerClient(DockerHost.resolve(System.getenv("DOCKER_HOST")));
    defaults = new DockerBackend(client, DockerOptions.defaults());
    defaults.prepare();
    runs = new DockerRuns(client);
  }

  @AfterEach
  void destroy() {
    runs.destroyAll(defaults);
  }

  static DockerBackend with(DockerOptions.Sandbox s) {
    return new DockerBackend(client, DockerOptions.defaults().withSandbox(s));
  }

  static DockerRuns.Run run(DockerBackend b, String script) throws Exception {
    return runs.run(b, shell(NetworkMode.NONE, script));
  }

  @Test
  void withAUserNamespaceRootInsideIsAnUnprivilegedUserOfTheHost() throws Exception {
    assumeThat(defaults.isPodman()).as("a user namespace per container is Podman's").isTrue();
    DockerBackend auto =
        with(
            new DockerOptions.Sandbox(
                DockerOptions.Userns.AUTO, null, false, DockerOptions.DEFAULT_TMP_SIZE, null));
    DockerRuns.Run r = run(auto, "id -u; cat /proc/self/uid_map; cat /proc/self/gid_map");
    List<String> lines = r.stdout().lines().map(String::strip).toList();
    assertThat(lines.get(0)).isEqualTo("0");
    // "inside outside count": uid 0 inside is a high uid of the host's containers range
    String[] uid = lines.get(1).split("\\s+");
    String[] gid = lines.get(2).split("\\s+");
    assertThat(uid[0]).isEqualTo("0");
    assertThat(Long.parseLong(uid[1])).as("host uid of root inside").isGreaterThanOrEqualTo(65536);
    assertThat(Long.parseLong(gid[1])).as("host gid of root inside").isGreaterThanOrEqualTo(65536);
  }

  @Test
  void byDefaultTheHostsUserNamespace() throws Exception {
    DockerRuns.Run r = run(defaults, "cat /proc/self/uid_map");
    assertThat(r.stdout().strip().split("\\s+")).containsExactly("0", "0", "4294967295");
  }

  @Test
  void aConfiguredUidRunsTheCommandWhateverTheImageSays() throws Exception {
    DockerBackend b =
        with(
            new DockerOptions.Sandbox(
                DockerOptions.Userns.AUTO, "1000:1001", false, 16 * MIB, null));
    DockerRuns.Run r =
        run(
            b,
            "id -u; id -g; touch /made-by-1000 && echo wrote-root; grep CapEff /proc/self/status");
    assertThat(r.stdout()).startsWith("1000\n1001\n").doesNotContain("wrote-root");
    assertThat(r.stderr()).contains("Permission denied");
    // a non-root user keeps no capability at all
    assertThat(r.stdout()).contains("CapEff:\t0000000000000000");
  }

  @Test
  void capabilitiesAreTheConfiguredOnesAndNoPrivilegeIsGainedThroughSetuid() throws Exception {
    DockerRuns.Run r = run(defaults, "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status");
    // CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, KILL 5, SETGID 6, SETUID 7
    assertThat(r.stdout())
        .contains("CapEff:\t00000000000000eb")
        .contains("CapBnd:\t00000000000000eb")
        .contains("NoNewPrivs:\t1");

    DockerBackend none =
        with(
            new DockerOptions.Sandbox(DockerOptions.Userns.AUTO, null, false, 16 * MIB, List.of()));
    DockerRuns.Run n = run(none, "grep -E '^(CapEff|CapBnd)' /proc/self/status; chown 1:1 /tmp");
    assertThat(n.stdout())
        .contains("CapEff:\t0000000000000000")
        .contains("CapBnd:\t0000000000000000");
    assertThat(n.stderr()).contains("Operation not permitted");
  }

  @Test
  void tmpIsATmpfsOfTheConfiguredSizeThatKeepsTheSessionsFiles() throws Exception {
    DockerBackend b =
        with(new DockerOptions.Sandbox(DockerOptions.Userns.AUTO, null, false, 16 * MIB, null));
    SessionSpec s =
        shell(
            NetworkMode.NONE,
            "cat /tmp/in.txt; df -k /tmp | tail -n 1;"
                + " dd if=/dev/zero of=/tmp/big bs=1M count=32; echo dd=$?");
    s.setFiles(List.of(new FileSpec("/tmp/in.txt", "put before the start\n", null)));
    DockerRuns.Run r = runs.run(b, s);
    List<String> lines = r.stdout().lines().toList();
    assertThat(lines.get(0)).isEqualTo("put before the start");
    assertThat(lines.get(1).split("\\s+")).startsWith("tmpfs", "16384");
    assertThat(lines.get(2)).isEqualTo("dd=1");
    assertThat(r.stderr()).contains("No space left on device");
  }

  @Test
  void theDefaultTmpIsBoundedToo() throws Exception {
    DockerRuns.Run r = run(defaults, "df -k /tmp | tail -n 1");
    assertThat(r.stdout().split("\\s+")).startsWith("tmpfs", "" + (256 * 1024));
  }

  @Test
  void aReadOnlyRootLeavesOnlyTmpWritable() throws Exception {
    DockerBackend b =
        with(new DockerOptions.Sandbox(DockerOptions.Userns.AUTO, null, true, 16 * MIB, null));
    SessionSpec s =
        shell(
            NetworkMode.NONE,
            "cat /tmp/in.txt; touch /root-file && echo wrote-root;"
                + " echo x > /tmp/t && echo wrote-tmp");
    s.setFiles(List.of(new FileSpec("/tmp/in.txt", "file\n", null)));
    DockerRuns.Run r = runs.run(b, s);
    assertThat(r.stdout()).isEqualTo("file\nwrote-tmp\n");
    assertThat(r.stderr()).contains("Read-only file system");
  }

  @Test
  void thePidsLimitStopsAForkBomb() throws Exception {
    DockerBackend b =
        new DockerBackend(
            client, new DockerOptions(DockerOptions.PullPolicy.NEVER, 20, null, null, null, null));
    DockerRuns.Run r =
        run(b, "i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo looped");
    assertThat(r.stderr()).containsIgnoringCase("can't fork");
  }
}
