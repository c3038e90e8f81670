package io.execbox.api.attach;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AttachFilterTest {
  static final String ID = "sess_0123456789abcdef01234567";

  @Test
  void theAttachPathNamesItsSessionWithOrWithoutATrailingSlash() {
    assertThat(AttachFilter.sessionIdOf("/v1/sessions/" + ID + "/attach")).isEqualTo(ID);
    assertThat(AttachFilter.sessionIdOf("/v1/sessions/" + ID + "/attach/")).isEqualTo(ID);
  }

  @Test
  void anyOtherPathOrAMalformedIdIsNotAnAttach() {
    for (String path :
        new String[] {
          "/v1/sessions/" + ID,
          "/v1/sessions/" + ID + "/stop",
          "/v1/sessions/" + ID + "/attach/x",
          "/v1/sessions/sess_XYZ/attach",
          "/v1/sessions/sess_0123/attach",
          "/v1/sessions//attach",
          "/v2/sessions/" + ID + "/attach"
        }) {
      assertThat(AttachFilter.sessionIdOf(path)).as(path).isNull();
    }
  }
}
