package io.execbox.operator.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.crds.Session;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionPhase;
import io.execbox.crds.SessionSpec;
import io.execbox.crds.SessionStatus;
import io.execbox.machines.MachineOwner;
import io.execbox.operator.standalone.SessionReconciler;
import io.execbox.store.NewSession;
import io.execbox.store.SessionRow;
import io.execbox.store.SessionWithMachine;
import io.execbox.store.Store;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode: a Session resource is the desired state. Each reconcile makes sure the session
 * has its PostgreSQL row (a resource applied with kubectl gets one, in the account configured for
 * its namespace), passes a stop asked on the resource to the row, lets the one lifecycle ({@link
 * SessionReconciler}, the same code as standalone mode) take its next step, and mirrors the row
 * into the resource's status, with an Event for each important transition. Deleting the resource
 * kills the session and finishes its row (usage recorded) before its finalizer goes. Never sleeps:
 * when the lifecycle must wait, the reconcile is rescheduled for then, and Pod changes and exits
 * bring it forward.
 */
public final class SessionResourceReconciler implements Reconciler<Session>, Cleaner<Session> {
  private static final Logger log = LoggerFactory.getLogger(SessionResourceReconciler.class);

  /** Asks for a stop (SIGTERM, then SIGKILL after the grace period); any value. */
  public static final String STOP_ANNOTATION = "execbox.io/stop-requested-at";

  private static final Duration SOON = Duration.ofMillis(100);

  /** How long an API-written resource may be without its row before the operator adopts it. */
  static final Duration API_COMMIT_GRACE = Duration.ofSeconds(10);

  private static final Duration API_COMMIT_RETRY = Duration.ofMillis(200);

  private final Store store;
  private final SessionReconciler lifecycle;
  private final ObjectMapper json;
  private final Clock clock;
  private final KubernetesModeOptions options;
  private final SimpleInboundEventSource<Session> wakeups =
      new SimpleInboundEventSource<>("wakeups");

  /**
   * What the last full step of each session saw: the resource's generation and stop request, and
   * when its row is next due. A reconcile that brings nothing new — the event of this operator's
   * own status write, say — only reschedules, without touching PostgreSQL or the cluster.
   */
  private final Map<String, Step> lastStep = new ConcurrentHashMap<>();

  /** Sessions whose machine changed (or command exited) since their last full step. */
  private final Map<String, Boolean> changed = new ConcurrentHashMap<>();

  private record Step(String inputs, Instant due, String accountId) {}

  public SessionResourceReconciler(
      Store store,
      SessionReconciler lifecycle,
      ObjectMapper json,
      Clock clock,
      KubernetesModeOptions options) {
    this.store = store;
    this.lifecycle = lifecycle;
    this.json = json;
    this.clock = clock;
    this.options = options;
  }

  /**
   * Brings a session's reconcile forward (its machine changed, its command exited, its row moved).
   */
  public void wake(String sessionId) {
    if (SessionIds.isValid(sessionId)) {
      changed.put(sessionId, Boolean.TRUE);
      wakeups.propagateEvent(new ResourceID(SessionIds.objectName(sessionId), options.namespace()));
    }
  }

  @Override
  public List<EventSource<?, Session>> prepareEventSources(EventSourceContext<Session> context) {
    return List.of(wakeups);
  }

  @Override
  public UpdateControl<Session> reconcile(Session resource, Context<Session> context) {
    String id = sessionId(resource);
    if (id == null) {
      // not a session name: say so where kubectl describe shows it, and do nothing else
      log.warn("Session {} is not named sess-<hex>: ignored", resource.getMetadata().getName());
      event(
          resource,
          "Warning",
          "InvalidName",
          "a Session must be named sess- and 16 to 64 lowercase hex digits; this one is not run",
          context);
      return UpdateControl.noUpdate();
    }
    if (resource.getSpec() == null) {
      // the CRD requires a spec; a resource without one got in under an older CRD
      event(
          resource,
          "Warning",
          "InvalidSpec",
          "a Session needs a spec; this one is not run",
          context);
      return UpdateControl.noUpdate();
    }
    boolean stopAsked =
        resource.getMetadata().getAnnotations() != null
            && resource.getMetadata().getAnnotations().containsKey(STOP_ANNOTATION);
    String inputs = resource.getMetadata().getGeneration() + "/" + stopAsked;
    Step last = lastStep.get(id);
    Instant now = clock.instant();
    if (changed.remove(id) == null
        && last != null
        && last.inputs().equals(inputs)
        && (last.due() == null || last.due().isAfter(now.plus(SOON)))) {
      // nothing new since the last step (this operator's own status write, say)
      log.debug("session {}: idle", id);
      UpdateControl<Session> idle = UpdateControl.noUpdate();
      if (last.due() != null) {
        idle.rescheduleAfter(Duration.between(now, last.due()).toMillis());
      }
      return idle;
    }
    log.debug("session {}: step ({})", id, inputs);
    if (last == null) {
      // first sight of the resource in this process: make sure its row exists
      SessionRow row = ensureRow(id, resource, now);
      if (row == null) {
        // the API's transaction has not committed yet, or failed and deletes the resource
        return UpdateControl.<Session>noUpdate().rescheduleAfter(API_COMMIT_RETRY.toMillis());
      }
      if (stopAsked && row.active()) {
        store.sessions().requestStop(row.accountId(), id).block(options.storeTimeout());
      }
    } else if (stopAsked) {
      // requestStop changes nothing on a row that is stopped already or has ended
      store.sessions().requestStop(last.accountId(), id).block(options.storeTimeout());
    }
    // the resource owns the Pod and objects a step creates: they are removed with it
    SessionWithMachine after =
        lifecycle.reconcileAndRead(id, owner(resource)).block(options.storeTimeout());
    return mirror(resource, id, inputs, context, after);
  }

  @Override
  public DeleteControl cleanup(Session resource, Context<Session> context) {
    String id = sessionId(resource);
    if (id == null) {
      return DeleteControl.defaultDelete();
    }
    SessionRow row = store.sessions().findById(id).block(options.storeTimeout());
    lastStep.remove(id);
    changed.remove(id);
    if (row == null) {
      return DeleteControl.defaultDelete();
    }
    if (row.active() && row.killRequestedAt() == null) {
      store.sessions().requestKill(row.accountId(), id).block(options.storeTimeout());
      event(resource, "Normal", "Killing", "the Session was deleted: killing its command", context);
    }
    lifecycle.reconcileAndRead(id, owner(resource)).block(options.storeTimeout());
    SessionRow after = store.sessions().findById(id).block(options.storeTimeout());
    if (after != null && after.reconcileAt() != null) {
      // the machine is still being killed, archived or removed
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(delay(after).toMillis());
    }
    return DeleteControl.defaultDelete();
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
      lastStep.remove(id);
      return UpdateControl.<Session>noUpdate().rescheduleAfter(1000);
    }
    SessionRow row = found.row();
    lastStep.put(id, new Step(inputs, row.reconcileAt(), row.accountId()));
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
      announce(resource, previous, now, context);
      // server-side apply of the status alone: no resourceVersion, so no conflict with a
      // concurrent change of the spec or metadata (a stop annotation, say)
      Session patch = new Session();
      patch.setMetadata(
          new ObjectMetaBuilder()
              .withName(resource.getMetadata().getName())
              .withNamespace(resource.getMetadata().getNamespace())
              .build());
      patch.setStatus(now);
      control = UpdateControl.patchStatus(patch);
    }
    if (row.reconcileAt() != null) {
      control.rescheduleAfter(delay(row).toMillis());
    }
    return control;
  }

  private Duration delay(SessionRow row) {
    Duration d = Duration.between(clock.instant(), row.reconcileAt());
    return d.compareTo(SOON) < 0 ? SOON : d;
  }

  /** Events for the transitions a user looks for with {@code kubectl describe}. */
  private void announce(
      Session resource, SessionStatus previous, SessionStatus now, Context<Session> context) {
    SessionPhase before = previous == null ? null : previous.getPhase();
    if (before == now.getPhase()) {
      return;
    }
    switch (now.getPhase()) {
      case RUNNING -> event(resource, "Normal", "Started", "the command is running", context);
      case STOPPED ->
          event(
              resource,
              "Normal",
              "Exited",
              "exit code " + (now.getExitCode() == null ? "pending" : now.getExitCode()),
              context);
      case KILLED ->
          event(
              resource,
              "Normal",
              "Killed",
              now.getReason() == null ? "killed" : now.getReason(),
              context);
      case FAILED ->
          event(
              resource,
              "Warning",
              "Failed",
              now.getReason() == null ? "the session could not run" : now.getReason(),
              context);
      default -> {}
    }
  }

  private void event(
      Session resource, String type, String reason, String message, Context<Session> context) {
    try {
      Instant now = clock.instant();
      context
          .getClient()
          .v1()
          .events()
          .inNamespace(resource.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withGenerateName(resource.getMetadata().getName() + ".")
                  .withNamespace(resource.getMetadata().getNamespace())
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(resource.getApiVersion())
                          .withKind(resource.getKind())
                          .withName(resource.getMetadata().getName())
                          .withNamespace(resource.getMetadata().getNamespace())
                          .withUid(resource.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(now.truncatedTo(ChronoUnit.SECONDS).toString())
                  .withLastTimestamp(now.truncatedTo(ChronoUnit.SECONDS).toString())
                  .withCount(1)
                  .withNewSource("execbox-operator", null)
                  .build())
          .create();
    } catch (RuntimeException e) {
      log.debug(
          "event {} for {} not recorded: {}",
          reason,
          resource.getMetadata().getName(),
          e.toString());
    }
  }

  /**
   * The session's row; a resource without one (applied with kubectl) gets it now. One the API wrote
   * (it has an owner label) is given {@link #API_COMMIT_GRACE} for the API's transaction to commit
   * its row, or, when that transaction fails, for the API to delete it: null until then.
   */
  private SessionRow ensureRow(String id, Session resource, Instant now) {
    var labels = resource.getMetadata().getLabels();
    if (labels != null && labels.containsKey(io.execbox.crds.Labels.OWNER)) {
      // the API wrote it beside its row: look the row up first
      SessionRow row = store.sessions().findById(id).block(options.storeTimeout());
      if (row != null) {
        return row;
      }
      String ts = resource.getMetadata().getCreationTimestamp();
      if (ts != null && Instant.parse(ts).plus(API_COMMIT_GRACE).isAfter(now)) {
        return null;
      }
      // its row was lost (a restored database, say): adopt it in the account it names
    }
    SessionSpec spec = resource.getSpec();
    String specJson;
    try {
      specJson = json.writeValueAsString(spec);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    Instant created = creationTime(resource);
    int timeout =
        spec.getResources() != null && spec.getResources().getTimeoutMs() != null
            ? spec.getResources().getTimeoutMs()
            : options.defaultTimeoutMs();
    String account = accountOf(resource);
    log.info("session {}: no row yet; it goes to account {}", id, account);
    return store
        .sessions()
        .adopt(
            new NewSession(
                id,
                account,
                specJson,
                spec.getImage(),
                "kubernetes",
                null,
                created,
                created.plusMillis(timeout)))
        .block(options.storeTimeout());
  }

  /**
   * The account of a resource without a row: the one its owner label names, when that account
   * exists (the API labels what it writes, so a resource whose row was lost keeps its account);
   * otherwise the account configured for its namespace.
   */
  private String accountOf(Session resource) {
    var labels = resource.getMetadata().getLabels();
    String owner = labels == null ? null : labels.get(io.execbox.crds.Labels.OWNER);
    if (owner != null
        && store.accounts().findAccount(owner).block(options.storeTimeout()) != null) {
      return owner;
    }
    return options.accountFor(resource.getMetadata().getNamespace());
  }

  private Instant creationTime(Session resource) {
    String ts = resource.getMetadata().getCreationTimestamp();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    if (ts == null) {
      return now;
    }
    Instant t = Instant.parse(ts);
    // a resource created long ago (the operator was down) still gets its whole deadline from now
    return t.isBefore(now.minusSeconds(5)) ? now : t;
  }

  private static MachineOwner owner(Session resource) {
    return new MachineOwner(
        resource.getApiVersion(),
        resource.getKind(),
        resource.getMetadata().getName(),
        resource.getMetadata().getUid());
  }

  /** The session id of a resource named {@code sess-<hex>}, or null. */
  static String sessionId(Session resource) {
    String name = resource.getMetadata().getName();
    if (name == null || !name.startsWith("sess-")) {
      return null;
    }
    String id = "sess_" + name.substring("sess-".length());
    return SessionIds.isValid(id) ? id : null;
  }
}
