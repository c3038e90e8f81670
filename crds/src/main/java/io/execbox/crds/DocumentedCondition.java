package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * The schema of a status condition, documented for {@code kubectl explain}: the resource carries
 * fabric8's {@code Condition}, whose fields have no descriptions. Schema only, never instantiated.
 */
final class DocumentedCondition {
  @JsonPropertyDescription("Started (the command began) or Finished (the session ended).")
  @Required
  @JsonProperty
  String type;

  @JsonPropertyDescription("True, False or Unknown.")
  @Required
  @JsonProperty
  String status;

  @JsonPropertyDescription("A CamelCase word saying why the condition has its status.")
  @JsonProperty
  String reason;

  @JsonPropertyDescription("What happened, for people.")
  @JsonProperty
  String message;

  @JsonPropertyDescription("When the status last changed (RFC 3339).")
  @JsonProperty
  String lastTransitionTime;

  @JsonPropertyDescription("The metadata.generation this condition was written for.")
  @JsonProperty
  Long observedGeneration;

  private DocumentedCondition() {}
}
