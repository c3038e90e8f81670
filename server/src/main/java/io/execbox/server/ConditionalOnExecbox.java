package io.execbox.server;

import io.execbox.server.ExecboxProperties.Backend;
import io.execbox.server.ExecboxProperties.Mode;
import io.execbox.server.ExecboxProperties.Role;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Arrays;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.annotation.MergedAnnotation;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when the configuration tree, bound as {@link ExecboxProperties} would be (same defaults,
 * same checks), runs all {@link #roles}, none of {@link #notRoles}, and one of {@link #mode} and
 * {@link #backend} when given.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Conditional(ConditionalOnExecbox.OnExecbox.class)
@interface ConditionalOnExecbox {
  Role[] roles() default {};

  Role[] notRoles() default {};

  Mode[] mode() default {};

  Backend[] backend() default {};

  class OnExecbox extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata md) {
      MergedAnnotation<ConditionalOnExecbox> a =
          md.getAnnotations().get(ConditionalOnExecbox.class);
      ExecboxProperties p =
          Binder.get(context.getEnvironment()).bindOrCreate("execbox", ExecboxProperties.class);
      boolean match =
          Arrays.stream(a.getEnumArray("roles", Role.class)).allMatch(p::runs)
              && Arrays.stream(a.getEnumArray("notRoles", Role.class)).noneMatch(p::runs)
              && anyOf(a.getEnumArray("mode", Mode.class), p.mode())
              && anyOf(a.getEnumArray("backend", Backend.class), p.backend());
      return new ConditionOutcome(
          match, "execbox roles " + p.roles() + ", mode " + p.mode() + ", backend " + p.backend());
    }

    private static <T> boolean anyOf(T[] wanted, T actual) {
      return wanted.length == 0 || Arrays.asList(wanted).contains(actual);
    }
  }
}
