package io.execbox.api.sessions;

import com.fasterxml.jackson.databind.JsonNode;
import io.execbox.api.input.StoredText;
import io.execbox.api.problem.ApiException.FieldError;
import io.execbox.crds.ResourceSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a create request against docs/API.md and lists every bad field, so a client fixes them all
 * at once. Pure: a JSON tree in, field errors out.
 */
public final class SessionRequestValidator {
  static final int MAX_COMMAND_ARGS = 1024;
  static final int MAX_ENV = 256;
  static final int MAX_FILES = 64;
  static final int MAX_PORTS = 32;
  static final int MAX_IDEMPOTENCY_KEY = 255;

  /** Linux's MAX_ARG_STRLEN (128 KiB with the terminating NUL): per argument, per NAME=value. */
  static final int MAX_ARG_BYTES = 128 * 1024 - 1;

  static final int MAX_PATH = 4096;
  static final int MAX_NAME = 255;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

  private final boolean setupSupported;
  private final String backendName;

  public SessionRequestValidator(boolean setupSupported, String backendName) {
    this.setupSupported = setupSupported;
    this.backendName = backendName;
  }

  /**
   * The body's bad fields, then the {@code Idempotency-Key} header's ({@code idempotencyKey} is
   * null when the header is absent).
   */
  public List<FieldError> validate(JsonNode body, String idempotencyKey) {
    List<FieldError> errors = validate(body);
    if (idempotencyKey != null
        && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY)) {
      errors.add(
          new FieldError(
              "Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters",
              "header.Idempotency-Key",
              null));
    } else {
      StoredText.check(idempotencyKey, "header.Idempotency-Key", errors);
    }
    return errors;
  }

  public List<FieldError> validate(JsonNode body) {
    List<FieldError> errors = new ArrayList<>();
    if (body == null || !body.isObject()) {
      errors.add(new FieldError("the body must be a JSON object", "body", null));
      return errors;
    }
    // one rule for every string and key that reaches PostgreSQL, whatever field it is in
    StoredText.checkTree(body, "body", errors);
    JsonNode image = body.get("image");
    if (image == null || image.isNull()) {
      errors.add(new FieldError("image is required", "body.image", null));
    } else if (!image.isTextual() || image.asText().isBlank()) {
      errors.add(new FieldError("image must be a non-empty string", "body.image", value(image)));
    } else if (StoredText.storable(image.asText())) {
      String problem = ImageReference.problem(image.asText());
      if (problem != null) {
        errors.add(new FieldError(problem, "body.image", value(image)));
      }
    }
    command(body.get("command"), errors);
    env(body.get("env"), errors);
    JsonNode workDir = body.get("workDir");
    if (present(workDir) && (!workDir.isTextual() || !workDir.asText().startsWith("/"))) {
      errors.add(
          new FieldError("workDir must be an absolute path", "body.workDir", value(workDir)));
    } else if (present(workDir) && !withinPathLimits(workDir.asText())) {
      errors.add(
          new FieldError(
              "workDir must be at most "
                  + MAX_PATH
                  + " characters, each of its names at most "
                  + MAX_NAME
                  + " bytes",
              "body.workDir",
              value(workDir)));
    }
    resources(body.get("resources"), errors);
    String network = network(body.get("network"), errors);
    ports(body.get("ports"), network, errors);
    files(body.get("files"), errors);
    JsonNode setup = body.get("setup");
    if (present(setup)) {
      if (!setup.isArray() || !allText(setup)) {
        errors.add(new FieldError("setup must be an array of strings", "body.setup", value(setup)));
      } else if (setup.size() > 0 && !setupSupported) {
        errors.add(
            new FieldError(
                "setup is not supported by the "
                    + backendName
                    + " backend; run the steps in command",
                "body.setup",
                value(setup)));
      }
    }
    return errors;
  }

  private static void command(JsonNode command, List<FieldError> errors) {
    if (!present(command)) {
      return;
    }
    if (!command.isArray() || !allText(command)) {
      errors.add(
          new FieldError("command must be an array of strings", "body.command", value(command)));
    } else if (command.size() == 0) {
      errors.add(
          new FieldError(
              "command must not be empty; omit it for the image's default",
              "body.command",
              value(command)));
    } else if (command.size() > MAX_COMMAND_ARGS) {
      errors.add(
          new FieldError(
              "command has more than " + MAX_COMMAND_ARGS + " arguments", "body.command", null));
    } else {
      for (int i = 0; i < command.size(); i++) {
        if (utf8Length(command.get(i).asText()) > MAX_ARG_BYTES) {
          errors.add(
              new FieldError(
                  "an argument must be at most " + MAX_ARG_BYTES + " bytes",
                  "body.command[" + i + "]",
                  null));
        }
      }
    }
  }

  private static void env(JsonNode env, List<FieldError> errors) {
    if (!present(env)) {
      return;
    }
    if (!env.isObject()) {
      errors.add(new FieldError("env must be an object of strings", "body.env", value(env)));
      return;
    }
    if (env.size() > MAX_ENV) {
      errors.add(new FieldError("env has more than " + MAX_ENV + " variables", "body.env", null));
    }
    Iterator<Map.Entry<String, JsonNode>> it = env.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!ENV_NAME.matcher(e.getKey()).matches() && StoredText.storable(e.getKey())) {
        errors.add(
            new FieldError("not a valid variable name", "body.env." + e.getKey(), e.getKey()));
      }
      if (!e.getValue().isTextual()) {
        errors.add(new FieldError("env values must be strings", "body.env." + e.getKey(), null));
      } else if (utf8Length(e.getKey()) + 1 + utf8Length(e.getValue().asText()) > MAX_ARG_BYTES) {
        errors.add(
            new FieldError(
                "a variable (NAME=value) must be at most " + MAX_ARG_BYTES + " bytes",
                "body.env." + e.getKey(),
                null));
      }
    }
  }

  private static void resources(JsonNode r, List<FieldError> errors) {
    if (!present(r)) {
      return;
    }
    if (!r.isObject()) {
      errors.add(new FieldError("resources must be an object", "body.resources", value(r)));
      return;
    }
    range(
        r.get("cpuMillis"),
        "cpuMillis",
        ResourceSpec.MIN_CPU_MILLIS,
        ResourceSpec.MAX_CPU_MILLIS,
        errors);
    range(
        r.get("memoryMB"),
        "memoryMB",
        ResourceSpec.MIN_MEMORY_MB,
        ResourceSpec.MAX_MEMORY_MB,
        errors);
    range(
        r.get("timeoutMs"),
        "timeoutMs",
        ResourceSpec.MIN_TIMEOUT_MS,
        ResourceSpec.MAX_TIMEOUT_MS,
        errors);
  }

  private static void range(JsonNode v, String name, int min, int max, List<FieldError> errors) {
    if (!present(v)) {
      return;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
      errors.add(
          new FieldError(
              name + " must be an integer from " + min + " to " + max,
              "body.resources." + name,
              value(v)));
    }
  }

  private static String network(JsonNode n, List<FieldError> errors) {
    if (!present(n)) {
      return "outgoing";
    }
    String v = n.isTextual() ? n.asText() : null;
    if (!"none".equals(v) && !"outgoing".equals(v) && !"exposed".equals(v)) {
      errors.add(
          new FieldError("network must be none, outgoing or exposed", "body.network", value(n)));
      return null;
    }
    return v;
  }

  private static void ports(JsonNode ports, String network, List<FieldError> errors) {
    if (!present(ports)) {
      if ("exposed".equals(network)) {
        errors.add(new FieldError("network exposed needs at least one port", "body.ports", null));
      }
      return;
    }
    if (!ports.isArray()) {
      errors.add(new FieldError("ports must be an array", "body.ports", value(ports)));
      return;
    }
    if (ports.size() > MAX_PORTS) {
      errors.add(new FieldError("at most " + MAX_PORTS + " ports", "body.ports", null));
    }
    if (ports.size() > 0 && network != null && !"exposed".equals(network)) {
      errors.add(
          new FieldError("ports are published only with network exposed", "body.ports", null));
    }
    if (ports.size() == 0 && "exposed".equals(network)) {
      errors.add(new FieldError("network exposed needs at least one port", "body.ports", null));
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      JsonNode p = ports.get(i);
      String at = "body.ports[" + i + "]";
      if (!p.isObject()) {
        errors.add(new FieldError("a port must be an object", at, value(p)));
        continue;
      }
      JsonNode c = p.get("container");
      if (c == null || !c.isIntegralNumber() || c.asInt() < 1 || c.asInt() > 65535) {
        errors.add(
            new FieldError(
                "container must be a port from 1 to 65535", at + ".container", value(c)));
      }
      JsonNode proto = p.get("protocol");
      if (present(proto) && !("tcp".equals(proto.asText()) || "udp".equals(proto.asText()))
          || present(proto) && !proto.isTextual()) {
        errors.add(new FieldError("protocol must be tcp or udp", at + ".protocol", value(proto)));
      }
      if (c != null && !seen.add(c.asText() + "/" + (present(proto) ? proto.asText() : "tcp"))) {
        errors.add(new FieldError("each port is published once", at, value(p)));
      }
    }
  }

  private static void files(JsonNode files, List<FieldError> errors) {
    if (!present(files)) {
      return;
    }
    if (!files.isArray()) {
      errors.add(new FieldError("files must be an array", "body.files", value(files)));
      return;
    }
    if (files.size() > MAX_FILES) {
      errors.add(new FieldError("at most " + MAX_FILES + " files", "body.files", null));
    }
    Set<String> paths = new HashSet<>();
    for (int i = 0; i < files.size(); i++) {
      JsonNode f = files.get(i);
      String at = "body.files[" + i + "]";
      if (!f.isObject()) {
        errors.add(new FieldError("a file must be an object", at, value(f)));
        continue;
      }
      JsonNode path = f.get("path");
      if (path == null || !path.isTextual() || !validPath(path.asText())) {
        errors.add(
            new FieldError(
                "path must be an absolute file path without '..' or control characters, at most "
                    + MAX_PATH
                    + " characters, each name at most "
                    + MAX_NAME
                    + " bytes",
                at + ".path",
                value(path)));
      } else if (!paths.add(path.asText())) {
        errors.add(new FieldError("each path is written once", at + ".path", value(path)));
      }
      JsonNode content = f.get("content");
      if (content == null || !content.isTextual()) {
        errors.add(new FieldError("content must be a string", at + ".content", null));
      }
      JsonNode enc = f.get("encoding");
      String e = present(enc) ? enc.asText() : "utf8";
      if (present(enc) && (!enc.isTextual() || !("utf8".equals(e) || "base64".equals(e)))) {
        errors.add(new FieldError("encoding must be utf8 or base64", at + ".encoding", value(enc)));
      } else if ("base64".equals(e) && content != null && content.isTextual()) {
        try {
          Base64.getDecoder().decode(content.asText());
        } catch (IllegalArgumentException x) {
          errors.add(new FieldError("content is not valid base64", at + ".content", null));
        }
      }
    }
  }

  static boolean validPath(String p) {
    if (!p.startsWith("/")
        || p.endsWith("/")
        || !withinPathLimits(p)
        || p.chars().anyMatch(Character::isISOControl)) {
      return false;
    }
    for (String part : p.substring(1).split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return false;
      }
    }
    return true;
  }

  /** Linux's PATH_MAX and NAME_MAX: a longer path is refused by the kernel, on every try. */
  static boolean withinPathLimits(String p) {
    if (p.length() > MAX_PATH) {
      return false;
    }
    for (String part : p.split("/")) {
      if (utf8Length(part) > MAX_NAME) {
        return false;
      }
    }
    return true;
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static boolean present(JsonNode n) {
    return n != null && !n.isNull();
  }

  private static boolean allText(JsonNode arr) {
    for (JsonNode n : arr) {
      if (!n.isTextual()) {
        return false;
      }
    }
    return true;
  }

  private static Object value(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isNumber()) {
      return n.numberValue();
    }
    if (n.isTextual()) {
      String s = n.asText();
      return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
    if (n.isBoolean()) {
      return n.asBoolean();
    }
    return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
