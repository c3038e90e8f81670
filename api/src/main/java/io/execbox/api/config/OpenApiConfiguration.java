package io.execbox.api.config;

import io.execbox.api.problem.ProblemDocument;
import io.execbox.api.problem.ProblemResponses;
import io.execbox.api.sessions.SessionSpecSchemas;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.HandlerMethod;

/**
 * The OpenAPI document (GET /openapi.json, committed as docs/openapi.json): resource tags, the
 * problem responses each route names with {@link ProblemResponses}, and the rate-limit headers of
 * the key-authenticated routes. The attach WebSocket cannot be described in OpenAPI: docs/API.md
 * does.
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfiguration {
  /** The security scheme of API keys; routes that name it carry the rate-limit headers. */
  public static final String KEY = "bearer";

  /** The security scheme of the admin routes. */
  public static final String ADMIN = "adminToken";

  static final String PROBLEM_JSON = "application/problem+json";

  static final Map<Integer, String> PROBLEMS =
      Map.of(
          400, "The body is not JSON, or not of the shape this route takes.",
          401, "No key, or a key that is malformed, unknown or revoked: all are answered alike.",
          404, "No such resource in the caller's account (another account's does not exist here).",
          409, "The resource's state does not allow this.",
          413, "The request body is over 1 MiB.",
          422, "One or more fields or parameters are invalid; `errors` lists each of them.",
          429,
              "Too many requests this minute from this key (or, unauthenticated, this address);"
                  + " retry after `Retry-After` seconds.",
          503,
              "The database or the machine backend is unavailable; nothing was done. Retry after"
                  + " `Retry-After` seconds.");

  @Bean
  OpenAPI execboxOpenApi() {
    return new OpenAPI()
        .info(
            new Info()
                .title("execbox")
                .version("v1")
                .description(
                    "Run one command in one container image, with limits and a deadline, and"
                        + " stream its stdin, stdout, stderr and exit code over the WebSocket"
                        + " GET /v1/sessions/{id}/attach (binary frames; OpenAPI cannot describe"
                        + " them: see docs/API.md in the execbox repository). Every error is an"
                        + " RFC 9457 problem (application/problem+json)."))
        .addTagsItem(new Tag().name("Sessions").description("Sessions: create, read, stop, kill"))
        .addTagsItem(new Tag().name("Account").description("The caller's account and usage"))
        .addTagsItem(new Tag().name("Keys").description("The account's API keys"))
        .addTagsItem(
            new Tag()
                .name("Admin")
                .description("Keys in new accounts; only when the server has an admin token"))
        .addTagsItem(new Tag().name("Health").description("The server, its database, its backend"))
        .components(
            new Components()
                .addSecuritySchemes(
                    KEY,
                    new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP)
                        .scheme("bearer")
                        .bearerFormat("sk_…")
                        .description("An API key: sk_ and 43 URL-safe characters"))
                .addSecuritySchemes(
                    ADMIN,
                    new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP)
                        .scheme("bearer")
                        .description("The server's admin token (EXECBOX_ADMIN_TOKEN)"))
                .addHeaders("Retry-After", header("Seconds to wait before trying again"))
                .addHeaders("X-RateLimit-Limit", header("Requests allowed per one-minute window"))
                .addHeaders("X-RateLimit-Remaining", header("Requests left in the current window"))
                .addHeaders(
                    "X-RateLimit-Reset",
                    header("When the current window ends, in Unix epoch seconds")));
  }

  private static Header header(String description) {
    return new Header().description(description).schema(new IntegerSchema().format("int64"));
  }

  /**
   * The Problem and FieldError schemas, which no route returns as its own type; the create
   * request's constraints.
   */
  @Bean
  OpenApiCustomizer schemas() {
    return api -> {
      ModelConverters.getInstance()
          .readAll(ProblemDocument.class)
          .forEach((name, schema) -> api.getComponents().addSchemas(name, schema));
      SessionSpecSchemas.describe(api.getComponents().getSchemas());
    };
  }

  @Bean
  OperationCustomizer problemResponses() {
    return OpenApiConfiguration::describe;
  }

  static Operation describe(Operation operation, HandlerMethod method) {
    ApiResponses responses = operation.getResponses();
    SecurityRequirement security = method.getBeanType().getAnnotation(SecurityRequirement.class);
    boolean keyed = security != null && KEY.equals(security.name());
    if (keyed) {
      responses.forEach(
          (code, r) -> {
            if (code.startsWith("2")) {
              rateLimitHeaders(r);
            }
          });
    }
    ProblemResponses problems = method.getMethodAnnotation(ProblemResponses.class);
    if (problems == null) {
      return operation;
    }
    for (int status : problems.value()) {
      String description = PROBLEMS.get(status);
      if (description == null) {
        throw new IllegalStateException(
            method + " names status " + status + ", which has no problem description");
      }
      String code = String.valueOf(status);
      ApiResponse r = responses.get(code);
      if (r == null) {
        r = new ApiResponse().description(description);
        responses.addApiResponse(code, r);
      }
      r.content(
          new Content()
              .addMediaType(
                  PROBLEM_JSON,
                  new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem"))));
      if (status == 429 || status == 503) {
        r.addHeaderObject("Retry-After", ref("Retry-After"));
      }
      if (status == 429 && keyed) {
        rateLimitHeaders(r);
      }
    }
    return operation;
  }

  private static void rateLimitHeaders(ApiResponse r) {
    for (String h :
        new String[] {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}) {
      r.addHeaderObject(h, ref(h));
    }
  }

  private static Header ref(String name) {
    return new Header().$ref("#/components/headers/" + name);
  }
}
