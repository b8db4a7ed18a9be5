using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests;

public abstract class OperationsTests(TollgateServer server)
{
    [Fact]
    public async Task Ready_checks_the_database_and_live_needs_nothing()
    {
        var ready = await server.Client(null).GetAsync("/health/ready");
        var live = await server.Client(null).GetAsync("/health/live");

        ready.Status.ShouldBe(HttpStatusCode.OK);
        ready.Body!["checks"]!["database"]!["status"]!.GetValue<string>().ShouldBe("healthy");
        live.Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_admin_api()
    {
        var document = await server.Client(null).GetAsync("/openapi/v1.json");

        document.Status.ShouldBe(HttpStatusCode.OK);
        var paths = document.Body!["paths"]!.AsObject().Select(p => p.Key).ToList();
        paths.ShouldContain("/api/v1/customers");
        paths.ShouldContain("/api/v1/keys/{id}/rotate");
        paths.ShouldContain("/api/v1/catalog/apply");
        paths.ShouldContain("/api/v1/audit-log");
        document.Body!["components"]!["schemas"]!["Customer"]!["properties"]!.AsObject().ContainsKey("external_id").ShouldBeTrue();
    }

    [Theory]
    [InlineData("CheckRequest", new[] { "feature" })]
    [InlineData("PutProviderRequest", new[] { "kind" })]
    [InlineData("PutModelRequest", new string[0])]
    [InlineData("DeploymentRequest", new[] { "provider" })]
    public async Task The_openapi_document_marks_required_exactly_what_is_required(string schema, string[] required)
    {
        var document = await server.Client(null).GetAsync("/openapi/v1.json");

        var listed = document.Body!["components"]!["schemas"]![schema]!["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToArray() ?? [];
        listed.ShouldBe(required, ignoreOrder: true);
    }

    [Fact]
    public async Task Every_route_sends_its_request_id_and_unknown_gateway_routes_answer_in_openai_shape()
    {
        var api = await server.Client(null).GetAsync("/api/v1/customers");
        var gateway = await server.Client(null).PostAsync("/v1/no/such/route", new { });
        var anthropic = await server.Client(null).PostAsync("/v1/messages/nope", new { });

        api.Raw.Headers.GetValues("x-request-id").Single().ShouldStartWith("req_");
        gateway.Raw.Headers.GetValues("x-request-id").Single().ShouldStartWith("req_");
        (gateway.Status, gateway.Body!["error"]!["code"]!.GetValue<string>()).ShouldBe((HttpStatusCode.NotFound, "not_found"));
        (anthropic.Body!["type"]!.GetValue<string>(), anthropic.Body!["error"]!["type"]!.GetValue<string>()).ShouldBe(("error", "not_found_error"));
    }

    [Fact]
    public async Task The_explorer_is_served_at_docs()
    {
        using var http = new HttpClient();
        var page = await http.GetStringAsync(new Uri(server.BaseAddress, "/docs/index.html"));
        page.ShouldContain("swagger-ui");
    }

    [Fact]
    public async Task Unknown_routes_answer_problem_json()
    {
        var response = await server.Client(null).GetAsync("/no/such/route");
        response.Status.ShouldBe(HttpStatusCode.NotFound);
        response.Raw.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OperationsOnSqlite(SqliteServer server) : OperationsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OperationsOnPostgres(PostgresServer server) : OperationsTests(server);
