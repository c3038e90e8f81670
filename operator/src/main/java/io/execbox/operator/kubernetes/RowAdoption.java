package io.execbox.operator.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.execbox.crds.Deadlines;
import io.execbox.crds.Labels;
import io.execbox.crds.Session;
import io.execbox.crds.SessionIds;
import io.execbox.crds.SessionSpec;
import io.execbox.operator.lifecycle.Lifecycle;
import io.execbox.store.NewSession;
import io.execbox.store.SessionRow;
import io.execbox.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL row of a Session resource: the one the API wrote beside it, or, for a resource
 * applied with kubectl (or whose row was lost), one made now in the right account, naming the
 * resource (its namespace and name) so that the api can reach it however it is named.
 */
final class RowAdoption {
  private static final Logger log = LoggerFactory.getLogger(RowAdoption.class);

  /** How long an API-written resource may be without its row before the operator adopts it. */
  static final Duration API_COMMIT_GRACE = Duration.ofSeconds(10);

  private final Store store;
  private final ObjectMapper json;
  private final Clock clock;
  private final KubernetesModeOptions options;

  RowAdoption(Store store, ObjectMapper json, Clock clock, KubernetesModeOptions options) {
    this.store = store;
    this.json = json;
    this.clock = clock;
    this.options = options;
  }

  /**
   * The session's row; a resource without one (applied with kubectl) gets it now. One the API wrote
   * (it has an owner label and the API's name for it) is given {@link #API_COMMIT_GRACE} for the
   * API's transaction to commit its row, or, when that transaction fails, for the API to delete it:
   * null until then.
   */
  SessionRow ensureRow(String id, Session resource, Instant now) {
    var labels = resource.getMetadata().getLabels();
    String name = resource.getMetadata().getName();
    if (labels != null
        && labels.containsKey(Labels.OWNER)
        && SessionIds.objectName(id).equals(name)) {
      // the API wrote it beside its row (it names what it writes sess-<hex>): look the row up first
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
    String ts = resource.getMetadata().getCreationTimestamp();
    Instant created =
        Lifecycle.adoptedCreation(
            ts == null ? null : Instant.parse(ts), clock.instant().truncatedTo(ChronoUnit.MICROS));
    String account = accountOf(resource);
    log.info(
        "session {} (Session {}/{}): no row yet; it goes to account {}",
        id,
        resource.getMetadata().getNamespace(),
        name,
        account);
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
                Deadlines.deadline(spec, options.defaultTimeoutMs(), created)),
            resource.getMetadata().getNamespace(),
            name)
        .block(options.storeTimeout());
  }

  /**
   * The account of a resource without a row: the one its owner label names, when that account
   * exists (the API labels what it writes, so a resource whose row was lost keeps its account);
   * otherwise the account configured for its namespace.
   */
  private String accountOf(Session resource) {
    var labels = resource.getMetadata().getLabels();
    String owner = labels == null ? null : labels.get(Labels.OWNER);
    if (owner != null
        && store.accounts().findAccount(owner).block(options.storeTimeout()) != null) {
      return owner;
    }
    return options.accountFor(resource.getMetadata().getNamespace());
  }
}
