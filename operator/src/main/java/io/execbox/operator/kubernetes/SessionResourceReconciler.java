package io.execbox.operator.kubernetes;

import io.execbox.crds.Annotations;
import io.execbox.crds.Conditions;
import io.execbox.crds.Labels;
import io.execbox.crds.Session;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionStatus;
import io.execbox.crds.Transitions;
import io.execbox.machines.MachineOwner;
import io.execbox.operator.step.SessionStep;
import io.execbox.store.SessionPatch;
import io.execbox.store.SessionPatch.Request;
import io.execbox.store.SessionRow;
import io.execbox.store.SessionWithMachine;
import io.execbox.store.Store;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode: a Session resource is the desired state, whatever it is named: its session id
 * comes from its name when the API named it {@code sess-<hex>}, else from its uid, and is shown in
 * its status and a label. Each reconcile makes sure the session has its PostgreSQL row ({@link
 * RowAdoption}), passes a stop asked on the resource to the row, lets the one step engine ({@link
 * SessionStep}, the same code as standalone mode) take its next step, and mirrors the row into the
 * resource's status, with an Event for each important transition ({@link SessionEvents}). A step
 * that fails throws, so JOSDK retries it with backoff; the status then says so (condition {@code
 * Reconciled} False, reason {@code StepFailed}) and a Warning Event tells why. Deleting the
 * resource kills the session and finishes its row (usage recorded) before its finalizer goes. Never
 * sleeps: when the lifecycle must wait, the reconcile is rescheduled for then, and Pod changes and
 * exits bring it forward.
 */
public final class SessionResourceReconciler implements Reconciler<Session>, Cleaner<Session> {
  private static final Logger log = LoggerFactory.getLogger(SessionResourceReconciler.class);

  private static final Duration SOON = Duration.ofMillis(100);
  private static final Duration API_COMMIT_RETRY = Duration.ofMillis(200);

  private final Store store;
  private final SessionStep step;
  private final Clock clock;
  private final KubernetesModeOptions options;
  private final RowAdoption rows;
  private final SessionEvents events;
  private final StepMemo memo = new StepMemo();

  /** The resource of each session reconciled here: a kubectl user names it as they like. */
  private final Map<String, ResourceID> resources = new ConcurrentHashMap<>();

  private final SimpleInboundEventSource<Session> wakeups =
      new SimpleInboundEventSource<>("wakeups");

  public SessionResourceReconciler(
      Store store,
      SessionStep step,
      com.fasterxml.jackson.databind.ObjectMapper json,
      Clock clock,
      KubernetesModeOptions options) {
    this.store = store;
    this.step = step;
    this.clock = clock;
    this.options = options;
    this.rows = new RowAdoption(store, json, clock, options);
    this.events = new SessionEvents(clock);
  }

  /**
   * Brings a session's reconcile forward (its machine changed, its command exited, its row moved).
   * A session not reconciled yet in this process has its first (full) reconcile ahead anyway; its
   * resource is named as the API names them, or wakes nothing.
   */
  public void wake(String sessionId) {
    if (SessionIds.isValid(sessionId)) {
      memo.changed(sessionId);
      ResourceID resource = resources.get(sessionId);
      wakeups.propagateEvent(
          resource != null
              ? resource
              : new ResourceID(SessionIds.objectName(sessionId), options.namespace()));
    }
  }

  @Override
  public List<EventSource<?, Session>> prepareEventSources(EventSourceContext<Session> context) {
    return List.of(wakeups);
  }

  @Override
  public UpdateControl<Session> reconcile(Session resource, Context<Session> context) {
    String id = sessionId(resource);
    if (id == null || resource.getSpec() == null) {
      refuse(resource, id, context);
      return UpdateControl.noUpdate();
    }
    resources.putIfAbsent(id, ResourceID.fromResource(resource));
    boolean stopAsked =
        resource.getMetadata().getAnnotations() != null
            && resource.getMetadata().getAnnotations().containsKey(Annotations.STOP_REQUESTED);
    String inputs = resource.getMetadata().getGeneration() + "/" + stopAsked;
    Instant now = clock.instant();
    Optional<Instant> idle = memo.idleUntil(id, inputs, now);
    if (idle.isPresent()) {
      // nothing new since the last step (this operator's own status write, say)
      log.debug("session {}: idle", id);
      UpdateControl<Session> control = UpdateControl.noUpdate();
      if (!idle.get().equals(Instant.MAX)) {
        control.rescheduleAfter(Duration.between(now, idle.get()).toMillis());
      }
      return control;
    }
    log.debug("session {}: step ({})", id, inputs);
    String account = memo.accountOf(id);
    if (account == null) {
      // first sight of the resource in this process: make sure its row exists
      SessionRow row = rows.ensureRow(id, resource, now);
      if (row == null) {
        // the API's transaction has not committed yet, or failed and deletes the resource
        return UpdateControl.<Session>noUpdate().rescheduleAfter(API_COMMIT_RETRY.toMillis());
      }
      account = row.accountId();
    }
    label(context, resource, id);
    if (stopAsked) {
      // a stop changes nothing on a row that is stopped already or has ended
      request(account, id, Request.STOP);
    }
    SessionWithMachine after = step.run(id, owner(resource)).block(options.storeTimeout());
    return mirror(resource, id, inputs, context, after);
  }

  /** A resource that cannot run: say why where kubectl describe shows it, and do nothing else. */
  private void refuse(Session resource, String id, Context<Session> context) {
    if (id == null) {
      // only an object the apiserver has not stored is without a uid
      log.warn("Session {} has no uid: ignored", resource.getMetadata().getName());
    } else {
      // the CRD requires a spec; a resource without one got in under an older CRD
      events.record(
          context.getClient(),
          resource,
          SessionEvents.WARNING,
          "InvalidSpec",
          "a Session needs a spec; this one is not run");
    }
  }

  /** A failed step: the status and a Warning Event say why; JOSDK retries with backoff. */
  @Override
  public ErrorStatusUpdateControl<Session> updateErrorStatus(
      Session resource, Context<Session> context, Exception e) {
    String id = sessionId(resource);
    if (id != null) {
      memo.forget(id);
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    log.warn("Session {}: step failed, will retry: {}", resource.getMetadata().getName(), message);
    events.record(
        context.getClient(), resource, SessionEvents.WARNING, Conditions.STEP_FAILED, message);
    SessionStatus failed =
        SessionStatuses.stepFailed(
            resource.getStatus(),
            id,
            message,
            resource.getMetadata().getGeneration(),
            clock.instant());
    if (SessionStatuses.same(resource.getStatus(), failed)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    return ErrorStatusUpdateControl.patchStatus(statusPatch(resource, failed));
  }

  @Override
  public DeleteControl cleanup(Session resource, Context<Session> context) {
    String id = sessionId(resource);
    if (id == null) {
      return DeleteControl.defaultDelete();
    }
    memo.forget(id);
    SessionRow row = store.sessions().findById(id).block(options.storeTimeout());
    if (row == null) {
      resources.remove(id);
      return DeleteControl.defaultDelete();
    }
    if (row.active() && row.killRequestedAt() == null) {
      request(row.accountId(), id, Request.KILL);
      events.record(
          context.getClient(),
          resource,
          SessionEvents.NORMAL,
          "Killing",
          "the Session was deleted: killing its command");
    }
    step.run(id, owner(resource)).block(options.storeTimeout());
    SessionRow after = store.sessions().findById(id).block(options.storeTimeout());
    if (after != null && after.reconcileAt() != null) {
      // the machine is still being killed, archived or removed
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(delay(after).toMillis());
    }
    resources.remove(id);
    return DeleteControl.defaultDelete();
  }

  /** Writes a stop or kill asked on the resource to the row, as the contract decides it. */
  private void request(String account, String id, Request request) {
    store
        .sessions()
        .decideAndApply(
            account,
            id,
            row -> {
              SessionPhase phase = SessionPhase.fromWire(row.status());
              Transitions.Requested t =
                  request == Request.STOP ? Transitions.stop(phase) : Transitions.kill(phase);
              return SessionPatch.requested(
                  row, request, t.phase().wire(), t.endsNow(), t.reason(), clock.instant());
            })
        .block(options.storeTimeout());
  }

  /**
   * Writes the row into the resource's status; {@code after} is the row as the step left it, or
   * null when no step was taken (then it is read).
   */
  private UpdateControl<Session> mirror(
      Session resource,
      String id,
      String inputs,
      Context<Session> context,
      SessionWithMachine after) {
    SessionWithMachine found =
        after != null
            ? after
            : store.sessions().findWithMachineName(id).block(options.storeTimeout());
    if (found == null) {
      return UpdateControl.<Session>noUpdate().rescheduleAfter(1000);
    }
    SessionRow row = found.row();
    memo.stepped(id, inputs, row.reconcileAt(), row.accountId());
    SessionStatus previous = resource.getStatus();
    SessionStatus now =
        SessionStatuses.of(
            row,
            found.machineName(),
            resource.getMetadata().getGeneration(),
            previous,
            clock.instant());
    UpdateControl<Session> control;
    if (SessionStatuses.same(previous, now)) {
      control = UpdateControl.noUpdate();
    } else {
      events.announce(context.getClient(), resource, previous, now);
      control = UpdateControl.patchStatus(statusPatch(resource, now));
    }
    if (row.reconcileAt() != null) {
      control.rescheduleAfter(delay(row).toMillis());
    }
    return control;
  }

  /**
   * A server-side apply of the status alone: no resourceVersion, so no conflict with a concurrent
   * change of the spec or metadata (a stop annotation, say).
   */
  private static Session statusPatch(Session resource, SessionStatus status) {
    Session patch = new Session();
    patch.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(resource.getMetadata().getName())
            .withNamespace(resource.getMetadata().getNamespace())
            .build());
    patch.setStatus(status);
    return patch;
  }

  private Duration delay(SessionRow row) {
    Duration d = Duration.between(clock.instant(), row.reconcileAt());
    return d.compareTo(SOON) < 0 ? SOON : d;
  }

  /** The resource as the owner of the session's machine: its objects go with it. */
  private static MachineOwner owner(Session resource) {
    return new MachineOwner(
        resource.getApiVersion(),
        resource.getKind(),
        resource.getMetadata().getName(),
        resource.getMetadata().getUid());
  }

  /**
   * Puts the session id on a freely named resource as a label ({@code kubectl get sessions -l
   * io.execbox.session=<id>}) unless it is there. A resource named {@code sess-<hex>} carries its
   * id in its name already (and the API labels what it writes): no write for those, which P6
   * applies by the thousand. Only shown, never read back: the id always comes from the name or uid
   * ({@link #sessionId}), so a label copied onto another resource changes nothing.
   */
  private void label(Context<Session> context, Session resource, String id) {
    var labels = resource.getMetadata().getLabels();
    if (id.length() > 63
        || SessionIds.objectName(id).equals(resource.getMetadata().getName())
        || (labels != null && id.equals(labels.get(Labels.SESSION)))) {
      return; // named after its id, labelled already, or longer than a label value may be
    }
    String patch = "{\"metadata\":{\"labels\":{\"" + Labels.SESSION + "\":\"" + id + "\"}}}";
    try {
      context
          .getClient()
          .resources(Session.class)
          .inNamespace(resource.getMetadata().getNamespace())
          .withName(resource.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  /**
   * The session id of a resource: the one its name carries when the API named it ({@code
   * sess-<hex>}), else one derived from its uid ({@link SessionIds#ofResource}); null without a
   * uid.
   */
  static String sessionId(Session resource) {
    return SessionIds.ofResource(resource.getMetadata().getName(), resource.getMetadata().getUid());
  }
}
