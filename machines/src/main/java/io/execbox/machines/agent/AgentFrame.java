package io.execbox.machines.agent;

/**
 * One frame of the agent's protocol (docs/AGENT.md), as read or to be written by {@link
 * AgentFrames}. The payload is the frame's own array, not a copy: whoever holds the frame owns it.
 *
 * @param type one of the type constants in {@link AgentFrames}
 * @param channel the channel, an unsigned 32-bit number (0 is the session's command)
 * @param payload the payload, at most {@link AgentFrames#MAX_PAYLOAD} bytes
 */
public record AgentFrame(int type, int channel, byte[] payload) {
  @Override
  public String toString() {
    // the payload may be a secret (HELLO) or anyone's output: its size only
    return AgentFrames.name(type)
        + "(channel "
        + Integer.toUnsignedString(channel)
        + ", "
        + payload.length
        + " bytes)";
  }
}
