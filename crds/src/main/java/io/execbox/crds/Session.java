package io.execbox.crds;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One command in one image with limits and a deadline; named {@code sess-<hex>}. */
@Group(Session.GROUP)
@Version(Session.VERSION)
@ShortNames("sess")
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.phase", type = Type.STRING)
@AdditionalPrinterColumn(name = "Exit", jsonPath = ".status.exitCode", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Image", jsonPath = ".spec.image", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
public class Session extends CustomResource<SessionSpec, SessionStatus> implements Namespaced {
  public static final String GROUP = "execbox.io";
  public static final String VERSION = "v1alpha1";
}
