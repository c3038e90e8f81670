package io.execbox.server;

import io.execbox.api.config.AttachConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * An operator without the api role still serves the attach WebSocket: api replicas forward their
 * clients to the operator process that holds a session's stdio ({@code EXECBOX_ADVERTISE_ADDRESS}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression(
    "'${execbox.roles:api,operator}'.contains('operator')"
        + " && !'${execbox.roles:api,operator}'.contains('api')")
@Import(AttachConfiguration.class)
class OperatorAttachConfiguration {}
