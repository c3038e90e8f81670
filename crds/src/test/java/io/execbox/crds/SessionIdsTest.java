package io.execbox.crds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SessionIdsTest {
  @Test
  void aFreelyNamedResourcesIdComesFromItsUidTheSameOnEveryCall() {
    String uid = "6f1c2a8e-0b3d-4e57-9a1f-2c3d4e5f6a7b";
    String id = SessionIds.ofResource("hello", uid);
    assertThat(id).matches(SessionIds.PATTERN).hasSize("sess_".length() + 24);
    assertThat(SessionIds.isValid(id)).isTrue();
    // stable: another call (a retried reconcile, a restarted operator) gives the same id, and the
    // name plays no part (the uid is what makes a resource this one and no other)
    assertThat(SessionIds.ofResource("hello", uid)).isEqualTo(id);
    assertThat(SessionIds.ofResource("build-42", uid)).isEqualTo(id);
    // the first 24 hex digits of the uid's SHA-256
    assertThat(id).isEqualTo("sess_" + sha256Hex(uid).substring(0, 24));
  }

  @Test
  void twoResourcesNamedAlikeInTwoNamespacesAreTwoSessions() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      ids.add(SessionIds.ofResource("hello", UUID.randomUUID().toString()));
    }
    assertThat(ids).hasSize(10_000).allMatch(SessionIds::isValid);
  }

  @Test
  void aResourceNamedAsTheApiNamesThemKeepsTheIdItsNameCarries() {
    String id = SessionIds.newId();
    assertThat(SessionIds.ofResource(SessionIds.objectName(id), "any-uid")).isEqualTo(id);
    // sess- and something that is not an id's hex: a free name like any other
    String uid = UUID.randomUUID().toString();
    assertThat(SessionIds.ofResource("sess-abc", uid)).isEqualTo(SessionIds.fromUid(uid));
    assertThat(SessionIds.ofResource("sess-" + "A".repeat(24), uid))
        .isEqualTo(SessionIds.fromUid(uid));
  }

  @Test
  void withoutAUidAFreelyNamedResourceHasNoId() {
    assertThat(SessionIds.ofResource("hello", null)).isNull();
    assertThat(SessionIds.ofResource("hello", "")).isNull();
  }

  private static String sha256Hex(String s) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
