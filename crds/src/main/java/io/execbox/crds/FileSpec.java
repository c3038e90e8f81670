package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A file written into the machine before the command starts. */
public class FileSpec {
  @JsonPropertyDescription("Absolute path of the file inside the machine, not a directory.")
  @Required
  @Size(max = 1024)
  @Pattern("^/.*[^/]$")
  private String path;

  @JsonPropertyDescription("The file's content, encoded as 'encoding' says.")
  @Required
  private String content;

  @JsonPropertyDescription("utf8 (default) or base64.")
  @Pattern("^(utf8|base64)$")
  private String encoding;

  public FileSpec() {}

  public FileSpec(String path, String content, String encoding) {
    this.path = path;
    this.content = content;
    this.encoding = encoding;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public String getContent() {
    return content;
  }

  public void setContent(String content) {
    this.content = content;
  }

  public String getEncoding() {
    return encoding;
  }

  public void setEncoding(String encoding) {
    this.encoding = encoding;
  }

  /** The decoded bytes; throws IllegalArgumentException for bad base64. */
  public byte[] bytes() {
    if ("base64".equals(encoding)) {
      return Base64.getDecoder().decode(content);
    }
    return content.getBytes(StandardCharsets.UTF_8);
  }
}
