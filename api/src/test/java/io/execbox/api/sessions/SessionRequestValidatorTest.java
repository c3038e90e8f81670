package io.execbox.api.sessions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.execbox.api.problem.ApiException.FieldError;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Every rule of a create request, one at a time against an otherwise valid request, at both sides
 * of each bound. The errors are what a client sees in a 422's {@code errors}.
 */
class SessionRequestValidatorTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final SessionRequestValidator DOCKER = new SessionRequestValidator(false, "docker");

  static JsonNode tree(String json) {
    try {
      return JSON.readTree(json.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  /** A valid request with {@code field} set to {@code value} (JSON, single quotes allowed). */
  static ObjectNode with(String field, String value) {
    ObjectNode body = (ObjectNode) tree("{'image':'busybox'}");
    body.set(field, tree(value));
    return body;
  }

  static List<FieldError> errors(JsonNode body) {
    return DOCKER.validate(body);
  }

  static List<String> locations(JsonNode body) {
    return errors(body).stream().map(FieldError::location).toList();
  }

  static FieldError only(JsonNode body) {
    List<FieldError> e = errors(body);
    assertThat(e).as("errors of %s", body).hasSize(1);
    return e.get(0);
  }

  @Test
  void aMinimalRequestAndAFullOneAreValid() {
    assertThat(errors(tree("{'image':'busybox'}"))).isEmpty();
    String base64 = Base64.getEncoder().encodeToString(new byte[] {0, 1, 2, (byte) 255});
    assertThat(
            errors(
                tree(
                    "{'image':'python:3.12','command':['python','-c','print(1)'],"
                        + "'env':{'K':'V','_x':'','A.b-c':'1'},'workDir':'/app',"
                        + "'resources':{'cpuMillis':100,'memoryMB':8192,'timeoutMs':300000},"
                        + "'network':'exposed','ports':[{'container':8080,'protocol':'tcp'},"
                        + "{'container':8080,'protocol':'udp'},{'container':1},{'container':65535}],"
                        + "'files':[{'path':'/app/main.py','content':'print(1)'},"
                        + "{'path':'/app/b','content':'"
                        + base64
                        + "','encoding':'base64'},{'path':'/c','content':'x','encoding':'utf8'}],"
                        + "'setup':[]}")))
        .isEmpty();
  }

  @Test
  void explicitNullsCountAsAbsent() {
    assertThat(
            errors(
                tree(
                    "{'image':'busybox','command':null,'env':null,'workDir':null,"
                        + "'resources':null,'network':null,'ports':null,'files':null,"
                        + "'setup':null}")))
        .isEmpty();
  }

  @Test
  void theBodyMustBeAnObject() {
    for (String body : new String[] {"[]", "null", "'busybox'", "42"}) {
      assertThat(errors(tree(body)))
          .as(body)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.location()).isEqualTo("body");
                assertThat(e.message()).isEqualTo("the body must be a JSON object");
              });
    }
    assertThat(errors(null)).extracting(FieldError::location).containsExactly("body");
  }

  @Test
  void everyBadFieldIsListedAtOnce() {
    JsonNode body =
        tree(
            "{'command':[],'env':[],'workDir':'rel','resources':{'cpuMillis':1},"
                + "'network':'bridge','ports':'80','files':{},'setup':['x']}");
    assertThat(locations(body))
        .containsExactly(
            "body.image",
            "body.command",
            "body.env",
            "body.workDir",
            "body.resources.cpuMillis",
            "body.network",
            "body.ports",
            "body.files",
            "body.setup");
  }

  @Nested
  class Image {
    @Test
    void isRequired() {
      for (String body : new String[] {"{}", "{'image':null}"}) {
        FieldError e = only(tree(body));
        assertThat(e.location()).isEqualTo("body.image");
        assertThat(e.message()).isEqualTo("image is required");
      }
    }

    @Test
    void isANonEmptyString() {
      for (String v : new String[] {"''", "'  '", "42", "['busybox']", "true"}) {
        FieldError e = only(with("image", v));
        assertThat(e.location()).as(v).isEqualTo("body.image");
        assertThat(e.message()).isEqualTo("image must be a non-empty string");
      }
    }

    @Test
    void isAReferenceWhoseNameIsAtMost255AndWholeAtMost512Characters() {
      String name = "a".repeat(255);
      assertThat(errors(with("image", "'" + name + "'"))).isEmpty();
      assertThat(only(with("image", "'" + name + "a'")).message())
          .isEqualTo("image name (without tag or digest) must be at most 255 characters");
      String digest = "@sha256:" + "0".repeat(64);
      assertThat(errors(with("image", "'" + name + ":" + "t".repeat(128) + digest + "'")))
          .isEmpty();
      assertThat(only(with("image", "'" + "a".repeat(513) + "'")).message())
          .isEqualTo("image must be at most 512 characters");
      for (String v : new String[] {"'busy box'", "'busybox\\n'", "'BusyBox'"}) {
        assertThat(only(with("image", v)).location()).as(v).isEqualTo("body.image");
      }
    }

    @Test
    void aLongValueIsEchoedCutTo200Characters() {
      FieldError e = only(with("image", "'" + "a".repeat(513) + "'"));
      assertThat(e.value()).isEqualTo("a".repeat(200) + "…");
    }

    @Test
    void aValueThatIsNotAStringIsEchoedAsItsKindOrItself() {
      assertThat(only(with("image", "42")).value()).isEqualTo(42);
      assertThat(only(with("image", "true")).value()).isEqualTo(true);
      assertThat(only(with("image", "['x']")).value()).isEqualTo("array");
      assertThat(only(with("image", "{}")).value()).isEqualTo("object");
    }
  }

  @Nested
  class Command {
    @Test
    void isAnArrayOfStrings() {
      for (String v : new String[] {"'ls -l'", "{}", "['ls', 1]", "[null]"}) {
        FieldError e = only(with("command", v));
        assertThat(e.location()).as(v).isEqualTo("body.command");
        assertThat(e.message()).isEqualTo("command must be an array of strings");
      }
    }

    @Test
    void isNotEmpty() {
      FieldError e = only(with("command", "[]"));
      assertThat(e.message())
          .isEqualTo("command must not be empty; omit it for the image's default");
    }

    @Test
    void hasAtMost1024Arguments() {
      assertThat(errors(withCommandOf(1024))).isEmpty();
      FieldError e = only(withCommandOf(1025));
      assertThat(e.location()).isEqualTo("body.command");
      assertThat(e.message()).isEqualTo("command has more than 1024 arguments");
    }

    private ObjectNode withCommandOf(int n) {
      ObjectNode body = (ObjectNode) tree("{'image':'busybox'}");
      ArrayNode command = body.putArray("command");
      for (int i = 0; i < n; i++) {
        command.add("a");
      }
      return body;
    }

    @Test
    void noArgumentContainsNulAndEachOneIsNamed() {
      assertThat(locations(with("command", "['sh','a\\u0000b','ok','\\u0000']")))
          .containsExactly("body.command[1]", "body.command[3]");
      assertThat(errors(with("command", "['echo','tab\\there','new\\nline']"))).isEmpty();
    }
  }

  @Nested
  class Env {
    @Test
    void isAnObject() {
      for (String v : new String[] {"[]", "'K=V'", "1"}) {
        FieldError e = only(with("env", v));
        assertThat(e.location()).isEqualTo("body.env");
        assertThat(e.message()).isEqualTo("env must be an object of strings");
      }
    }

    @Test
    void hasAtMost256Variables() {
      assertThat(errors(withEnvOf(256))).isEmpty();
      FieldError e = only(withEnvOf(257));
      assertThat(e.location()).isEqualTo("body.env");
      assertThat(e.message()).isEqualTo("env has more than 256 variables");
    }

    private ObjectNode withEnvOf(int n) {
      ObjectNode body = (ObjectNode) tree("{'image':'busybox'}");
      ObjectNode env = body.putObject("env");
      for (int i = 0; i < n; i++) {
        env.put("V" + i, "x");
      }
      return body;
    }

    @Test
    void namesStartWithALetterOrUnderscoreAndHoldNoSpaceOrEquals() {
      assertThat(errors(with("env", "{'a':'','_':'','A_1.b-c':'','Z9':''}"))).isEmpty();
      for (String name : new String[] {"1A", "A B", "", "A=B", "-x", ".x", "ä"}) {
        ObjectNode body = (ObjectNode) tree("{'image':'busybox'}");
        body.putObject("env").put(name, "v");
        FieldError e = only(body);
        assertThat(e.location()).as(name).isEqualTo("body.env." + name);
        assertThat(e.message()).isEqualTo("not a valid variable name");
        assertThat(e.value()).isEqualTo(name);
      }
    }

    @Test
    void valuesAreStringsWithoutNul() {
      for (String v : new String[] {"1", "null", "true", "['a']"}) {
        FieldError e = only(with("env", "{'K':" + v + "}"));
        assertThat(e.location()).as(v).isEqualTo("body.env.K");
        assertThat(e.message()).isEqualTo("env values must be strings");
        assertThat(e.value()).as("a value may be a secret: never echoed").isNull();
      }
      FieldError nul = only(with("env", "{'K':'a\\u0000'}"));
      assertThat(nul.location()).isEqualTo("body.env.K");
      assertThat(nul.message()).contains("NUL");
      assertThat(nul.value()).as("never echoed").isNull();
    }

    @Test
    void aBadNameWithABadValueIsTwoErrors() {
      assertThat(locations(with("env", "{'1':2}"))).containsExactly("body.env.1", "body.env.1");
    }
  }

  @Nested
  class WorkDir {
    @Test
    void isAnAbsolutePathWithoutNul() {
      assertThat(errors(with("workDir", "'/'"))).isEmpty();
      assertThat(errors(with("workDir", "'/a b/c'"))).isEmpty();
      for (String v : new String[] {"'app'", "''", "'./app'", "1", "['/app']"}) {
        FieldError e = only(with("workDir", v));
        assertThat(e.location()).as(v).isEqualTo("body.workDir");
        assertThat(e.message()).isEqualTo("workDir must be an absolute path");
      }
      FieldError nul = only(with("workDir", "'/a\\u0000b'"));
      assertThat(nul.location()).isEqualTo("body.workDir");
      assertThat(nul.message()).contains("NUL");
    }
  }

  @Nested
  class Resources {
    @Test
    void isAnObject() {
      FieldError e = only(with("resources", "[]"));
      assertThat(e.location()).isEqualTo("body.resources");
      assertThat(e.message()).isEqualTo("resources must be an object");
    }

    @Test
    void eachLimitIsAnIntegerWithinItsRange() {
      assertRange("cpuMillis", 100, 8000);
      assertRange("memoryMB", 128, 8192);
      assertRange("timeoutMs", 1000, 300000);
    }

    private void assertRange(String name, int min, int max) {
      assertThat(errors(with("resources", "{'" + name + "':" + min + "}"))).isEmpty();
      assertThat(errors(with("resources", "{'" + name + "':" + max + "}"))).isEmpty();
      for (String v :
          new String[] {
            String.valueOf(min - 1),
            String.valueOf(max + 1),
            "-1",
            min + ".5",
            "'" + min + "'",
            "true",
            "99999999999"
          }) {
        FieldError e = only(with("resources", "{'" + name + "':" + v + "}"));
        assertThat(e.location()).as(name + "=" + v).isEqualTo("body.resources." + name);
        assertThat(e.message()).isEqualTo(name + " must be an integer from " + min + " to " + max);
      }
    }

    @Test
    void theOutOfRangeValueIsEchoed() {
      assertThat(only(with("resources", "{'memoryMB':64}")).value()).isEqualTo(64);
    }

    @Test
    void unknownFieldsAndAnEmptyObjectAreNotTheValidatorsConcern() {
      assertThat(errors(with("resources", "{}"))).isEmpty();
      assertThat(errors(with("resources", "{'gpus':1}"))).isEmpty();
    }

    @Test
    void everyBadLimitIsListed() {
      assertThat(locations(with("resources", "{'cpuMillis':0,'memoryMB':0,'timeoutMs':0}")))
          .containsExactly(
              "body.resources.cpuMillis", "body.resources.memoryMB", "body.resources.timeoutMs");
    }
  }

  @Nested
  class Network {
    @Test
    void isNoneOutgoingOrExposed() {
      assertThat(errors(with("network", "'none'"))).isEmpty();
      assertThat(errors(with("network", "'outgoing'"))).isEmpty();
      for (String v : new String[] {"'bridge'", "'NONE'", "''", "1", "{}"}) {
        FieldError e = only(with("network", v));
        assertThat(e.location()).as(v).isEqualTo("body.network");
        assertThat(e.message()).isEqualTo("network must be none, outgoing or exposed");
      }
    }

    @Test
    void anUnknownModeDoesNotAlsoBlameThePorts() {
      ObjectNode body = with("network", "'bridge'");
      body.set("ports", tree("[{'container':80}]"));
      assertThat(locations(body)).containsExactly("body.network");
    }
  }

  @Nested
  class Ports {
    static ObjectNode exposed(String ports) {
      ObjectNode body = with("network", "'exposed'");
      body.set("ports", tree(ports));
      return body;
    }

    @Test
    void exposedNeedsAtLeastOnePort() {
      for (ObjectNode body : List.of(with("network", "'exposed'"), exposed("[]"))) {
        FieldError e = only(body);
        assertThat(e.location()).isEqualTo("body.ports");
        assertThat(e.message()).isEqualTo("network exposed needs at least one port");
      }
    }

    @Test
    void portsArePublishedOnlyWithExposed() {
      for (String network : new String[] {null, "'outgoing'", "'none'"}) {
        ObjectNode body = network == null ? with("ports", "[]") : with("network", network);
        body.set("ports", tree("[{'container':80}]"));
        FieldError e = only(body);
        assertThat(e.location()).as(network).isEqualTo("body.ports");
        assertThat(e.message()).isEqualTo("ports are published only with network exposed");
      }
      assertThat(errors(with("ports", "[]"))).as("an empty list publishes nothing").isEmpty();
    }

    @Test
    void isAnArrayOfAtMost32() {
      assertThat(only(exposed("{'container':80}")).message()).isEqualTo("ports must be an array");
      StringBuilder many = new StringBuilder("[");
      for (int i = 1; i <= 33; i++) {
        many.append(i > 1 ? "," : "").append("{'container':").append(i).append('}');
      }
      FieldError e = only(exposed(many + "]"));
      assertThat(e.location()).isEqualTo("body.ports");
      assertThat(e.message()).isEqualTo("at most 32 ports");
    }

    @Test
    void eachIsAnObjectWithAContainerPortFrom1To65535() {
      FieldError notObject = only(exposed("[80]"));
      assertThat(notObject.location()).isEqualTo("body.ports[0]");
      assertThat(notObject.message()).isEqualTo("a port must be an object");
      for (String c : new String[] {"0", "65536", "-1", "'80'", "80.5", "null"}) {
        FieldError e = only(exposed("[{'container':" + c + "}]"));
        assertThat(e.location()).as(c).isEqualTo("body.ports[0].container");
        assertThat(e.message()).isEqualTo("container must be a port from 1 to 65535");
      }
      assertThat(locations(exposed("[{'protocol':'tcp'}]")))
          .containsExactly("body.ports[0].container");
    }

    @Test
    void theProtocolIsTcpOrUdp() {
      assertThat(errors(exposed("[{'container':53,'protocol':'udp'}]"))).isEmpty();
      for (String p : new String[] {"'sctp'", "'TCP'", "''", "6", "['tcp']"}) {
        FieldError e = only(exposed("[{'container':80,'protocol':" + p + "}]"));
        assertThat(e.location()).as(p).isEqualTo("body.ports[0].protocol");
        assertThat(e.message()).isEqualTo("protocol must be tcp or udp");
      }
    }

    @Test
    void aPortAndProtocolIsListedOnceNamingTheSecond() {
      FieldError e = only(exposed("[{'container':80},{'container':81},{'container':80}]"));
      assertThat(e.location()).isEqualTo("body.ports[2]");
      assertThat(e.message()).isEqualTo("each port is published once");
      assertThat(locations(exposed("[{'container':80},{'container':80,'protocol':'tcp'}]")))
          .as("tcp is the default protocol")
          .containsExactly("body.ports[1]");
      assertThat(errors(exposed("[{'container':80},{'container':80,'protocol':'udp'}]"))).isEmpty();
    }
  }

  @Nested
  class Files {
    static ObjectNode file(String path) {
      ObjectNode body = (ObjectNode) tree("{'image':'busybox'}");
      body.putArray("files").addObject().put("path", path).put("content", "x");
      return body;
    }

    @Test
    void isAnArrayOfAtMost64Objects() {
      assertThat(only(with("files", "{}")).message()).isEqualTo("files must be an array");
      FieldError notObject = only(with("files", "['/a']"));
      assertThat(notObject.location()).isEqualTo("body.files[0]");
      assertThat(notObject.message()).isEqualTo("a file must be an object");
      ObjectNode body = (ObjectNode) tree("{'image':'busybox'}");
      ArrayNode files = body.putArray("files");
      for (int i = 0; i < 64; i++) {
        files.addObject().put("path", "/f" + i).put("content", "");
      }
      assertThat(errors(body)).isEmpty();
      files.addObject().put("path", "/f64").put("content", "");
      FieldError e = only(body);
      assertThat(e.location()).isEqualTo("body.files");
      assertThat(e.message()).isEqualTo("at most 64 files");
    }

    @Test
    void aPathIsAbsoluteWithoutDotPartsEmptyPartsOrControlCharacters() {
      for (String ok : new String[] {"/a", "/app/main.py", "/a/.hidden", "/a/..b", "/é/ß"}) {
        assertThat(errors(file(ok))).as(ok).isEmpty();
      }
      for (String bad :
          new String[] {
            "a",
            "",
            "/",
            "/a/",
            "//a",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/..",
            "/.",
            "/a\nb",
            "/a\tb",
            "/a\u007fb",
            "/a\u0085b"
          }) {
        FieldError e = only(file(bad));
        assertThat(e.location()).as(bad).isEqualTo("body.files[0].path");
        assertThat(e.message())
            .startsWith("path must be an absolute file path without '..' or control characters");
      }
      assertThat(locations(file("/a\u0000b")))
          .as("NUL")
          .isNotEmpty()
          .containsOnly("body.files[0].path");
    }

    @Test
    void aPathIsAtMost4096CharactersAndEachPartAtMost255Bytes() {
      String longest = ("/" + "a".repeat(255)).repeat(16);
      assertThat(longest).hasSize(4096);
      assertThat(errors(file(longest))).isEmpty();
      assertThat(locations(file(longest + "b"))).containsExactly("body.files[0].path");
      assertThat(locations(file("/" + "a".repeat(256)))).containsExactly("body.files[0].path");
      assertThat(errors(file("/" + "é".repeat(127)))).as("254 bytes").isEmpty();
      assertThat(locations(file("/" + "é".repeat(128))))
          .as("256 bytes in 128 characters")
          .containsExactly("body.files[0].path");
    }

    @Test
    void aMissingOrNonStringPathIsBad() {
      assertThat(locations(with("files", "[{'content':'x'}]")))
          .containsExactly("body.files[0].path");
      assertThat(locations(with("files", "[{'path':1,'content':'x'}]")))
          .containsExactly("body.files[0].path");
    }

    @Test
    void aPathIsWrittenOnceNamingTheSecond() {
      FieldError e =
          only(
              with(
                  "files",
                  "[{'path':'/a','content':''},{'path':'/b','content':''},"
                      + "{'path':'/a','content':'other'}]"));
      assertThat(e.location()).isEqualTo("body.files[2].path");
      assertThat(e.message()).isEqualTo("each path is written once");
      assertThat(e.value()).isEqualTo("/a");
    }

    @Test
    void theContentIsAStringAndNeverEchoed() {
      for (String c : new String[] {"", ",'content':null", ",'content':1", ",'content':['x']"}) {
        FieldError e = only(with("files", "[{'path':'/a'" + c + "}]"));
        assertThat(e.location()).as(c).isEqualTo("body.files[0].content");
        assertThat(e.message()).isEqualTo("content must be a string");
        assertThat(e.value()).isNull();
      }
    }

    @Test
    void theEncodingIsUtf8OrBase64() {
      for (String enc : new String[] {"'hex'", "'UTF8'", "''", "1"}) {
        FieldError e = only(with("files", "[{'path':'/a','content':'x','encoding':" + enc + "}]"));
        assertThat(e.location()).as(enc).isEqualTo("body.files[0].encoding");
        assertThat(e.message()).isEqualTo("encoding must be utf8 or base64");
      }
    }

    @Test
    void base64ContentMustDecode() {
      assertThat(errors(with("files", "[{'path':'/a','content':'aGk=','encoding':'base64'}]")))
          .isEmpty();
      assertThat(errors(with("files", "[{'path':'/a','content':'aGk','encoding':'base64'}]")))
          .as("padding may be left out")
          .isEmpty();
      assertThat(errors(with("files", "[{'path':'/a','content':'','encoding':'base64'}]")))
          .isEmpty();
      for (String c : new String[] {"'not base64!'", "'a'", "'aG=k'"}) {
        FieldError e =
            only(with("files", "[{'path':'/a','content':" + c + ",'encoding':'base64'}]"));
        assertThat(e.location()).as(c).isEqualTo("body.files[0].content");
        assertThat(e.message()).isEqualTo("content is not valid base64");
        assertThat(e.value()).isNull();
      }
      assertThat(errors(with("files", "[{'path':'/a','content':'not base64!'}]")))
          .as("utf8 content is not decoded")
          .isEmpty();
    }

    @Test
    void everyBadPartOfEveryFileIsListed() {
      assertThat(
              locations(
                  with(
                      "files",
                      "[{'path':'rel','encoding':'hex'},{'path':'/ok','content':'x'},"
                          + "{'path':'/b','content':'!','encoding':'base64'}]")))
          .containsExactly(
              "body.files[0].path",
              "body.files[0].content",
              "body.files[0].encoding",
              "body.files[2].content");
    }
  }

  @Nested
  class Setup {
    @Test
    void isRefusedOnABackendWithoutItNamingTheBackend() {
      FieldError e = only(with("setup", "['pip install x']"));
      assertThat(e.location()).isEqualTo("body.setup");
      assertThat(e.message())
          .isEqualTo("setup is not supported by the docker backend; run the steps in command");
      FieldError k8s =
          new SessionRequestValidator(false, "kubernetes").validate(with("setup", "['x']")).get(0);
      assertThat(k8s.message()).contains("the kubernetes backend");
    }

    @Test
    void anEmptySetupAsksForNothingAndIsAccepted() {
      assertThat(errors(with("setup", "[]"))).isEmpty();
    }

    @Test
    void isAcceptedWhereTheBackendSupportsIt() {
      assertThat(new SessionRequestValidator(true, "any").validate(with("setup", "['x','y']")))
          .isEmpty();
    }

    @Test
    void isAnArrayOfStringsOnEveryBackend() {
      for (SessionRequestValidator v : List.of(DOCKER, new SessionRequestValidator(true, "any"))) {
        for (String s : new String[] {"'x'", "[1]", "{}"}) {
          assertThat(v.validate(with("setup", s)))
              .singleElement()
              .satisfies(
                  e -> assertThat(e.message()).isEqualTo("setup must be an array of strings"));
        }
      }
    }
  }

  @Nested
  class IdempotencyKey {
    static final JsonNode VALID = tree("{'image':'busybox'}");

    @Test
    void isOptionalAndFrom1To255Characters() {
      assertThat(DOCKER.validate(VALID, null)).isEmpty();
      assertThat(DOCKER.validate(VALID, "k")).isEmpty();
      assertThat(DOCKER.validate(VALID, "k".repeat(255))).isEmpty();
      for (String key : new String[] {"", "   ", "k".repeat(256)}) {
        assertThat(DOCKER.validate(VALID, key))
            .singleElement()
            .satisfies(
                e -> {
                  assertThat(e.location()).isEqualTo("header.Idempotency-Key");
                  assertThat(e.message()).isEqualTo("Idempotency-Key must be 1 to 255 characters");
                  assertThat(e.value()).isNull();
                });
      }
    }

    @Test
    void comesAfterTheBodysErrors() {
      assertThat(DOCKER.validate(tree("{}"), ""))
          .extracting(FieldError::location)
          .containsExactly("body.image", "header.Idempotency-Key");
    }
  }
}
