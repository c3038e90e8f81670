package io.execbox.machines.docker;

import io.execbox.machines.StreamKind;
import java.io.IOException;

/** Where a channel's output comes from: an attach, or the container's log. */
interface OutputSource {
  /** Receives output slices in order. */
  interface Frames {
    void accept(StreamKind kind, byte[] data);
  }

  /** Delivers output until it ends; returns normally at its end. */
  void pump(Frames out) throws IOException;

  /** Aborts a pump in progress, from any thread. Idempotent. */
  void abort();

  /** Stdin was written or closed, so output may come soon: a source that polls looks sooner. */
  default void nudge() {}

  /** The output of one hijacked attach connection. */
  static OutputSource attach(DockerConnection connection) {
    return new OutputSource() {
      @Override
      public void pump(Frames out) throws IOException {
        FrameReader frames = new FrameReader(connection.body());
        FrameReader.Frame f;
        while ((f = frames.next()) != null) {
          out.accept(f.kind(), f.data());
        }
      }

      @Override
      public void abort() {
        connection.close();
      }
    };
  }
}
