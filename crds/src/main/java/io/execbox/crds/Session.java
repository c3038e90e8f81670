package io.execbox.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.crd.generator.annotation.SchemaSwap;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One command in one image with limits and a deadline. The API names the ones it writes {@code
 * sess-<hex>}; a user may give any name (the session id is then derived from the uid, {@link
 * SessionIds#ofResource}, and shown in the status, a label and a printer column).
 */
@Group(Session.GROUP)
@Version(Session.VERSION)
@ShortNames("sess")
@AdditionalPrinterColumn(name = "Session", jsonPath = ".status.sessionId", type = Type.STRING)
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.phase", type = Type.STRING)
@AdditionalPrinterColumn(name = "Exit", jsonPath = ".status.exitCode", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Image", jsonPath = ".spec.image", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
@SchemaSwap(
    originalType = SessionStatus.class,
    fieldName = "conditions",
    targetType = DocumentedCondition[].class)
public class Session extends CustomResource<SessionSpec, SessionStatus> implements Namespaced {
  public static final String GROUP = "execbox.io";

  /**
   * The operator's finalizer: it kills the command and finishes the row before the resource goes.
   */
  public static final String FINALIZER = GROUP + "/finalizer";

  public static final String VERSION = "v1alpha1";

  @Override
  @Required
  @JsonPropertyDescription(
      "The session to run: one command in one image, with limits and a deadline (the create request"
          + " of the execbox API).")
  public SessionSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the control plane observed of the session; written only by the operator, and mirrored"
          + " in the execbox API's record of it.")
  public SessionStatus getStatus() {
    return super.getStatus();
  }
}
