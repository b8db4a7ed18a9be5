using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Tollgate.Metering;

namespace Tollgate.Operations;

public static class OpenApiSetup
{
    public static IServiceCollection AddTollgateOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o => o.AddSchemaTransformer(DescribeEventProperties).AddDocumentTransformer(WebhookEventDocs.AddAsync).AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Tollgate API",
                Version = "v1",
                Description = "The admin API of Tollgate: customers, teams, catalog, API keys and the audit log. " +
                              "Send an API key as 'Authorization: Bearer tg_…'. Errors are problem+json with a stable 'code'.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A Tollgate key: tg_admin_live_…, tg_admin_test_…, tg_live_… or tg_test_….",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] }];
            return Task.CompletedTask;
        }));

    /// <summary>Event properties are read by their own converter, which the schema generator cannot see into.</summary>
    static Task DescribeEventProperties(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (context.JsonTypeInfo.Type != typeof(EventProperties)) return Task.CompletedTask;
        schema.Type = JsonSchemaType.Object | JsonSchemaType.Null;
        schema.Properties?.Clear();
        schema.Description = $"Flat: names (1 to 100 characters) to strings, numbers, booleans or null; at most {MeteringOptions.MaxProperties} of them and {MeteringOptions.MaxPropertiesBytes} bytes as JSON.";
        schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Number | JsonSchemaType.Boolean | JsonSchemaType.Null };
        return Task.CompletedTask;
    }

    public static WebApplication MapTollgateDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.SwaggerEndpoint("/openapi/v1.json", "Tollgate API v1");
            o.DocumentTitle = "Tollgate API";
        });
        return app;
    }
}
