package io.execbox.api.attach;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How far into a session's output the frames a client was sent have gone, read off the frames
 * themselves: the offset to resume from when the process sending them goes away (an operator that
 * restarts), and whether they had ended.
 */
final class OutputPosition {
  /** The holder's own wording for bytes a client lost to retention ({@link JournalFrames}). */
  private static final Pattern DROPPED = Pattern.compile("^(\\d+) bytes of output were dropped");

  private long offset;
  private byte last;

  OutputPosition(long offset) {
    this.offset = offset;
  }

  /** Takes note of one frame sent to the client. */
  synchronized void saw(byte[] frame) {
    if (frame.length == 0) {
      return;
    }
    last = frame[0];
    if (last == Frame.STDOUT || last == Frame.STDERR) {
      offset += frame.length - 5;
    } else if (last == Frame.ERROR) {
      Matcher m = DROPPED.matcher(new String(frame, 5, frame.length - 5, StandardCharsets.UTF_8));
      if (m.find()) {
        offset += Long.parseLong(m.group(1));
        last = Frame.STDOUT;
      }
    }
  }

  /** The offset of the next output byte the client has not been sent. */
  synchronized long offset() {
    return offset;
  }

  /** Whether the frames ended as a finished stream does: with the exit frame, or an error. */
  synchronized boolean ended() {
    return last == Frame.EXIT || last == Frame.ERROR;
  }
}
