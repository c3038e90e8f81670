package io.execbox.api.sessions;

import io.execbox.api.problem.ApiException;
import io.execbox.crds.Annotations;
import io.execbox.crds.Labels;
import io.execbox.crds.Session;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.machines.BlockingPools;
import io.execbox.store.SessionRow;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Kubernetes mode: every session is also a Session resource, the operator's desired state. Create
 * writes it beside the row (in the row's transaction), named {@code sess-<hex>}; stop annotates it;
 * delete deletes it, and its finalizer has the operator kill the command and finish the row. A
 * resource applied with kubectl may have any name: the operator records it on the row it makes, and
 * stop and delete find the resource by that name.
 */
public final class KubernetesSessionObjects implements SessionObjects {
  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;

  public KubernetesSessionObjects(KubernetesClient client, String namespace, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
  }

  @Override
  public Mono<Void> created(SessionRow row, SessionSpec spec) {
    Session s = new Session();
    s.setMetadata(
        new ObjectMetaBuilder()
            .withName(SessionIds.objectName(row.id()))
            .withNamespace(namespace)
            .withLabels(
                Map.of(
                    Labels.MANAGED,
                    "true",
                    Labels.OWNER,
                    row.accountId(),
                    Labels.SESSION,
                    row.id()))
            // with the operator's finalizer from the start: it need not add it (one write and one
            // round of events less before the Pod is created)
            .withFinalizers(Session.FINALIZER)
            .build());
    s.setSpec(spec);
    return blocking(
        () -> {
          try {
            client.resource(s).create();
          } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
              return; // a retried transaction: it is there already
            }
            throw refused("create the Session resource", e);
          }
        });
  }

  @Override
  public Mono<Void> stopRequested(SessionRow row) {
    String patch =
        "{\"metadata\":{\"annotations\":{\""
            + Annotations.STOP_REQUESTED
            + "\":\""
            + clock.instant()
            + "\"}}}";
    return onResource(
        row,
        "annotate the Session resource",
        r -> r.patch(PatchContext.of(PatchType.JSON_MERGE), patch));
  }

  /**
   * Deletes the resource. The operator may have seen it and given it a row of its own meanwhile
   * (the one the API meant to write, rolled back): its finalizer then kills the Pod and finishes
   * that row; without a row it just lets the resource go, and the Pod goes with its owner.
   */
  @Override
  public Mono<Void> abandoned(SessionRow row) {
    return onResource(row, "delete the abandoned Session resource", r -> r.delete());
  }

  @Override
  public Mono<Void> killRequested(SessionRow row) {
    return onResource(row, "delete the Session resource", r -> r.delete());
  }

  /** Acts on the session's resource; one already gone (deleted with kubectl, say) is no error. */
  private Mono<Void> onResource(
      SessionRow row, String what, java.util.function.Consumer<Resource<Session>> action) {
    return blocking(
        () -> {
          try {
            action.accept(
                client
                    .resources(Session.class)
                    .inNamespace(namespaceOf(row))
                    .withName(nameOf(row)));
          } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
              throw refused(what, e);
            }
          }
        });
  }

  /**
   * The namespace of the session's resource: the one the operator recorded when it adopted a
   * resource applied with kubectl, else this installation's, where the API writes its own.
   */
  String namespaceOf(SessionRow row) {
    return row.resourceNamespace() != null ? row.resourceNamespace() : namespace;
  }

  /**
   * The name of the session's resource: the one its user gave it (recorded on the row when the
   * operator adopted it), else {@code sess-<hex>}, as the API names what it writes.
   */
  static String nameOf(SessionRow row) {
    return row.resourceName() != null ? row.resourceName() : SessionIds.objectName(row.id());
  }

  /**
   * The apiserver's refusal as the client's problem: a Session its schema rejects (422, 400) is the
   * client's bad input, not an outage to retry; anything else is 503.
   */
  static ApiException refused(String what, KubernetesClientException e) {
    String why = e.getStatus() != null ? e.getStatus().getMessage() : e.getMessage();
    if (e.getCode() == 422 || e.getCode() == 400) {
      List<ApiException.FieldError> errors = new ArrayList<>();
      if (e.getStatus() != null && e.getStatus().getDetails() != null) {
        for (StatusCause c : e.getStatus().getDetails().getCauses()) {
          String field = c.getField() == null ? "" : c.getField();
          errors.add(
              new ApiException.FieldError(
                  "the cluster refused it: " + c.getMessage(),
                  field.startsWith("spec.") ? "body." + field.substring(5) : "body",
                  null));
        }
      }
      if (errors.isEmpty()) {
        errors.add(new ApiException.FieldError("the cluster refused it: " + why, "body", null));
      }
      return ApiException.invalid(errors);
    }
    return ApiException.unavailable("cannot " + what + ": " + why);
  }

  private static Mono<Void> blocking(Runnable r) {
    return Mono.fromRunnable(r).subscribeOn(BlockingPools.RESOURCES).then();
  }
}
