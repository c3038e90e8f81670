package io.execbox.server;

import io.execbox.api.config.AttachConfiguration;
import io.execbox.server.ExecboxProperties.Role;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * An operator without the api role still serves the attach WebSocket: api replicas forward their
 * clients to the operator process that holds a session's stdio ({@code EXECBOX_ADVERTISE_ADDRESS}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExecbox(roles = Role.OPERATOR, notRoles = Role.API)
@Import(AttachConfiguration.class)
class OperatorAttachConfiguration {}
