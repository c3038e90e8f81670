package io.execbox.api.config;

/**
 * The settings of the api role and of the attach WebSocket, given by the application that runs them
 * (the server binds them from its configuration).
 *
 * @param defaultTimeoutMs deadline of a session that gives none
 * @param maxActiveSessions pending and running sessions allowed to each new account
 * @param rateLimitPerMinute requests per minute per key, and per client address
 * @param accountRateLimitPerMinute requests per minute per account, all its keys together
 * @param maxKeysPerAccount live (not revoked) keys an account may have
 * @param adminToken bearer token of the admin routes; null: they answer 404
 * @param advertiseAddress {@code host:port} at which this process serves attach clients forwarded
 *     by other replicas; null when it serves none
 */
public record ApiOptions(
    int defaultTimeoutMs,
    int maxActiveSessions,
    int rateLimitPerMinute,
    int accountRateLimitPerMinute,
    int maxKeysPerAccount,
    String adminToken,
    String advertiseAddress) {}
