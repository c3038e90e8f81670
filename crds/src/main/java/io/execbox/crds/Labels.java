package io.execbox.crds;

/** Label and annotation keys that every machine of a session carries, on every backend. */
public final class Labels {
  /** Present (value "true") on every machine execbox manages; the sweep looks only at these. */
  public static final String MANAGED = "io.execbox.managed";

  /** The session id ({@code sess_<hex>}). */
  public static final String SESSION = "io.execbox.session";

  /** The owning account id. */
  public static final String OWNER = "io.execbox.owner";

  private Labels() {}
}
