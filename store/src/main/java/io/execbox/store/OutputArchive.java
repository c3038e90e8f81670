package io.execbox.store;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The {@code session_output} table: a finished session's retained output, for replay. */
public final class OutputArchive {
  private static final int ROW_BYTES = 1 << 20;

  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final SessionRepository sessions;

  OutputArchive(DatabaseClient db, TransactionalOperator tx, SessionRepository sessions) {
    this.db = db;
    this.tx = tx;
    this.sessions = sessions;
  }

  /**
   * Stores a finished session's retained output, replacing any earlier copy, and marks its row
   * archived with the count of bytes dropped before it; all in one transaction.
   */
  public Mono<Void> save(String sessionId, List<OutputChunk> chunks, long dropped) {
    Flux<Long> rows =
        Flux.fromIterable(split(chunks))
            .index()
            .concatMap(
                t ->
                    db.sql(
                            "INSERT INTO session_output (session_id, seq, stream, data)"
                                + " VALUES ($1, $2, $3, $4)")
                        .bind(0, sessionId)
                        .bind(1, t.getT1().intValue())
                        .bind(2, (short) t.getT2().stream())
                        .bind(3, ByteBuffer.wrap(t.getT2().data()))
                        .fetch()
                        .rowsUpdated());
    Mono<Void> work =
        db.sql("DELETE FROM session_output WHERE session_id = $1")
            .bind(0, sessionId)
            .fetch()
            .rowsUpdated()
            .thenMany(rows)
            .then(sessions.apply(sessionId, SessionPatch.create().outputArchived(true, dropped)));
    return tx.transactional(work);
  }

  /** A finished session's archived output, in order. */
  public Flux<OutputChunk> load(String sessionId) {
    return db.sql("SELECT stream, data FROM session_output WHERE session_id = $1 ORDER BY seq")
        .bind(0, sessionId)
        .map(
            r -> {
              ByteBuffer buf = r.get("data", ByteBuffer.class);
              byte[] b = new byte[buf.remaining()];
              buf.get(b);
              return new OutputChunk(r.get("stream", Short.class), b);
            })
        .all();
  }

  /** Joins small chunks of one stream and splits big ones, so rows stay near 1 MiB. */
  static List<OutputChunk> split(List<OutputChunk> chunks) {
    List<OutputChunk> out = new ArrayList<>();
    ByteArrayOutputStream cur = new ByteArrayOutputStream();
    int curStream = 0;
    for (OutputChunk c : chunks) {
      if (c.stream() != curStream || cur.size() + c.data().length > ROW_BYTES) {
        if (cur.size() > 0) {
          out.add(new OutputChunk(curStream, cur.toByteArray()));
          cur.reset();
        }
        curStream = c.stream();
      }
      int off = 0;
      while (c.data().length - off > ROW_BYTES) {
        out.add(new OutputChunk(c.stream(), Arrays.copyOfRange(c.data(), off, off + ROW_BYTES)));
        off += ROW_BYTES;
      }
      cur.write(c.data(), off, c.data().length - off);
    }
    if (cur.size() > 0) {
      out.add(new OutputChunk(curStream, cur.toByteArray()));
    }
    return out;
  }
}
