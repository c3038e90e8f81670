package io.execbox.api.sessions;

import io.execbox.crds.SessionSpec;
import io.execbox.store.SessionRow;
import reactor.core.publisher.Mono;

/**
 * The objects a session has outside PostgreSQL, kept in step by the API: in kubernetes mode its
 * Session resource, in standalone mode none.
 */
public interface SessionObjects {
  /** Standalone mode: the row is all there is. */
  SessionObjects NONE =
      new SessionObjects() {
        @Override
        public Mono<Void> created(SessionRow row, SessionSpec spec) {
          return Mono.empty();
        }

        @Override
        public Mono<Void> stopRequested(SessionRow row) {
          return Mono.empty();
        }

        @Override
        public Mono<Void> killRequested(SessionRow row) {
          return Mono.empty();
        }

        @Override
        public Mono<Void> abandoned(SessionRow row) {
          return Mono.empty();
        }
      };

  /**
   * The row was inserted (not yet committed): create the session's objects. A failure here undoes
   * the row, so a session never exists half.
   */
  Mono<Void> created(SessionRow row, SessionSpec spec);

  /**
   * {@link #created} succeeded but the row's transaction did not commit: remove what it made, so
   * that the client's failed create leaves nothing running.
   */
  Mono<Void> abandoned(SessionRow row);

  /** A stop was recorded on the row. */
  Mono<Void> stopRequested(SessionRow row);

  /** A delete was recorded on the row. */
  Mono<Void> killRequested(SessionRow row);
}
