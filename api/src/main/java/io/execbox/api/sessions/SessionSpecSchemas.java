package io.execbox.api.sessions;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.execbox.crds.FileSpec;
import io.execbox.crds.PortSpec;
import io.execbox.crds.ResourceSpec;
import io.execbox.crds.SessionSpec;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.swagger.v3.oas.models.media.Schema;
import java.lang.reflect.Field;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * The create request's schemas in the OpenAPI document, described as the CRD describes them: the
 * Session model's field descriptions and constraints (the annotations its CRD is generated from),
 * plus the limits only the API checks ({@link SessionRequestValidator}). So a generated client
 * knows the ranges a 422 would otherwise teach it.
 */
public final class SessionSpecSchemas {
  private static final List<Class<?>> MODEL =
      List.of(SessionSpec.class, ResourceSpec.class, PortSpec.class, FileSpec.class);

  private SessionSpecSchemas() {}

  /** Adds descriptions and constraints to the model's schemas among {@code schemas}. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  public static void describe(Map<String, Schema> schemas) {
    for (Class<?> type : MODEL) {
      Schema<?> schema = schemas.get(type.getSimpleName());
      if (schema == null || schema.getProperties() == null) {
        continue;
      }
      for (Field f : type.getDeclaredFields()) {
        Schema property = schema.getProperties().get(f.getName());
        if (property != null) {
          describe(f, property);
          if (f.isAnnotationPresent(Required.class)
              && (schema.getRequired() == null || !schema.getRequired().contains(f.getName()))) {
            schema.addRequiredItem(f.getName());
          }
        }
      }
    }
    Schema<?> spec = schemas.get(SessionSpec.class.getSimpleName());
    if (spec != null && spec.getProperties() != null) {
      Map<String, Schema> p = spec.getProperties();
      limit(p.get("command"), s -> s.setMaxItems(SessionRequestValidator.MAX_COMMAND_ARGS));
      limit(p.get("env"), s -> s.setMaxProperties(SessionRequestValidator.MAX_ENV));
      limit(p.get("ports"), s -> s.setMaxItems(SessionRequestValidator.MAX_PORTS));
      limit(p.get("files"), s -> s.setMaxItems(SessionRequestValidator.MAX_FILES));
    }
  }

  private static void limit(Schema<?> s, java.util.function.Consumer<Schema<?>> set) {
    if (s != null) {
      set.accept(s);
    }
  }

  /** Whether {@code s} has {@code type}, in an OpenAPI 3.0 schema or a 3.1 one. */
  private static boolean is(Schema<?> s, String type) {
    return type.equals(s.getType()) || s.getTypes() != null && s.getTypes().contains(type);
  }

  private static void describe(Field f, Schema<?> property) {
    JsonPropertyDescription d = f.getAnnotation(JsonPropertyDescription.class);
    if (d != null && property.get$ref() == null) {
      property.setDescription(d.value());
    }
    Min min = f.getAnnotation(Min.class);
    if (min != null) {
      property.setMinimum(BigDecimal.valueOf((long) min.value()));
    }
    Max max = f.getAnnotation(Max.class);
    if (max != null) {
      property.setMaximum(BigDecimal.valueOf((long) max.value()));
    }
    Pattern pattern = f.getAnnotation(Pattern.class);
    if (pattern != null) {
      property.setPattern(pattern.value());
    }
    Size size = f.getAnnotation(Size.class);
    if (size != null) {
      Integer lo = size.min() > 0 ? (int) size.min() : null;
      Integer hi = size.max() < Integer.MAX_VALUE ? (int) size.max() : null;
      if (is(property, "array")) {
        property.setMinItems(lo);
        property.setMaxItems(hi);
      } else if (is(property, "string")) {
        property.setMinLength(lo);
        property.setMaxLength(hi);
      }
    }
  }
}
