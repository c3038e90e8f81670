package io.execbox.store;

/**
 * A piece of retained output.
 *
 * @param stream 1 stdout, 2 stderr
 * @param data the bytes
 */
public record OutputChunk(int stream, byte[] data) {}
