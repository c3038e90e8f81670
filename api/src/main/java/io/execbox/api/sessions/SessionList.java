package io.execbox.api.sessions;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One page of sessions, newest first. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SessionList(List<SessionView> sessions, String nextCursor) {}
