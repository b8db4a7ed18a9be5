using System.Data.Common;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;
using Xunit.Abstractions;

namespace Tollgate.IntegrationTests;

/// <summary>
/// Walks every operation of the server's own OpenAPI document with a battery of malformed bodies and parameters
/// (wrong types, nulls in lists, huge numbers, lone surrogates, duplicate keys, NUL and invalid UTF-8 in the URL) and
/// requires that none is answered 5xx, that every error is problem+json with a code (OpenAI- or Anthropic-shaped on
/// the gateway's routes), and that no refused request wrote anything.
/// </summary>
public abstract partial class MalformedInputTests(TollgateServer server, ITestOutputHelper output)
{
    static readonly string[] BadValues = ["null", "\"a\\u0000b\"", "\"\\ud800\"", "1e400", "9223372036854775808", "-9223372036854775809", "[null]", "{}", "\"\"", "true"];

    static readonly string[] BadBodies = ["{\"\\u0000\":1}", "null", "[]", "\"text\"", "{", "[null]", "{\"a\":1,\"a\":2}", "\"\\udc00\""];

    static readonly string[] BadQueryValues = ["%00", "-1", "99999999999999999999999", "%ED%A0%80", "%FF", "1e400", "", "a%00b"];

    record Operation(string Method, string Path, JsonObject? BodySchema, IReadOnlyList<string> Query);

    [Fact]
    public async Task No_malformed_request_to_any_operation_gets_a_500_or_writes_anything()
    {
        var fixtures = await FixturesAsync();
        var document = (await server.Admin.GetAsync("/openapi/v1.json")).Body!.AsObject();
        var operations = Operations(document).OrderBy(o => o.Method == "DELETE").ToList(); // deletions last, so the records live through the rest
        operations.Count.ShouldBeGreaterThan(60);

        var failures = new List<string>();
        var sent = 0;
        foreach (var operation in operations)
        {
            var gateway = operation.Path.StartsWith("/v1/", StringComparison.Ordinal);
            var key = gateway ? fixtures.CustomerKey : server.AdminKey;
            var path = Fill(operation.Path, fixtures);
            foreach (var (target, body) in Requests(operation, path, document, gateway))
            {
                sent++;
                var before = gateway ? null : await RowCountsAsync();
                var (status, text, contentType, requestId) = await SendAsync(operation.Method, target, body, key);
                var where = $"{operation.Method} {target} {Shorten(body)}";
                if (status >= 500)
                {
                    failures.Add($"{where} -> {status} {Shorten(text)}");
                    if (!text.Contains(requestId, StringComparison.Ordinal)) failures.Add($"{where}: the 500 does not name x-request-id {requestId}");
                    continue;
                }

                // Kestrel itself refuses a NUL in the path, with an empty 400, before any of Tollgate runs.
                if (status == 400 && text.Length == 0 && target.Contains("/%00", StringComparison.Ordinal)) continue;
                if (requestId.Length == 0) failures.Add($"{where}: no x-request-id");
                if (status >= 400 && !WellShaped(text, contentType, gateway)) failures.Add($"{where} -> {status} badly shaped: {Shorten(text)}");
                if (status >= 400 && before is not null && await RowCountsAsync() is var after && after != before)
                {
                    failures.Add($"{where} -> {status} but wrote: {Diff(before, after)}");
                }
            }
        }

        output.WriteLine($"{operations.Count} operations, {sent} requests, {failures.Count} failures");
        foreach (var failure in failures) output.WriteLine(failure);
        failures.Take(60).ShouldBeEmpty();
    }

    /// <summary>The malformed requests for one operation: bad query values one at a time, then bad bodies.</summary>
    static IEnumerable<(string Target, string? Body)> Requests(Operation operation, string path, JsonObject document, bool gateway)
    {
        var valid = operation.BodySchema is null ? null : Sample(operation.BodySchema, document, 0);
        var body = valid?.ToJsonString();
        foreach (var name in operation.Query)
        {
            foreach (var value in BadQueryValues) yield return ($"{path}?{name}={value}", body);
        }

        yield return ($"{path}/%00", body);
        yield return (path.Replace("/api/v1/", "/api/v1/%ED%A0%80", StringComparison.Ordinal), body);
        if (operation.Method is "GET" or "DELETE") yield break;

        var bodies = BadBodies.AsEnumerable();
        if (gateway) bodies = bodies.Concat(GatewayBodies());
        foreach (var bad in bodies) yield return (path, bad);
        if (valid is null) yield break;
        foreach (var location in Locations(valid, "$").Take(30))
        {
            foreach (var value in BadValues) yield return (path, Replace(valid, location, value));
        }
    }

    /// <summary>What the gateway must refuse cleanly: the findings of the outside sweep, and their relatives.</summary>
    static IEnumerable<string> GatewayBodies() =>
    [
        """{"model":"gpt-test","messages":[{"role":"user","content":"\ud800"}]}""",
        """{"model":"gpt-test","user":"a\u0000b","messages":[{"role":"user","content":"Hi\u0000"}]}""",
        """{"model":"gpt-test","model":"claude-test","messages":[{"role":"user","content":"Hi"}]}""",
        """{"model":"gpt-test","messages":["not an object"]}""",
        """{"model":"gpt-test","messages":[null]}""",
        """{"model":"gpt-test","messages":[{"role":"user","content":[null]}]}""",
        """{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}],"max_tokens":"12"}""",
        """{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}],"max_tokens":1e400}""",
        """{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}],"stream":"yes"}""",
        """{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}],"stream_options":[]}""",
        """{"model":["gpt-test"],"messages":[]}""",
        """{"model":"gpt-test","messages":{"role":"user"}}""",
        """{"model":"gpt-test","input":[null]}""",
        """{"model":"gpt-test","prompt":null,"n":"2"}""",
        """{"model":"claude-test","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text","text":null}]}]}""",
        """{"model":"claude-test","max_tokens":16,"system":[null],"messages":[{"role":"user","content":"Hi"}]}""",
    ];

    async Task<(int Status, string Text, string? ContentType, string RequestId)> SendAsync(string method, string target, string? body, string key)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(server.BaseAddress, target));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : "";
        return ((int)response.StatusCode, text, response.Content.Headers.ContentType?.MediaType, requestId);
    }

    static readonly HttpClient Http = new();

    static bool WellShaped(string text, string? contentType, bool gateway)
    {
        if (text.Length == 0 || contentType is null || !contentType.Contains("json", StringComparison.Ordinal)) return false;
        var node = JsonNode.Parse(text);
        return gateway
            ? node?["error"]?["message"] is not null || node?["error"]?["type"] is not null
            : contentType == "application/problem+json" && node?["code"]?.GetValue<string>() is { Length: > 0 };
    }

    static IEnumerable<Operation> Operations(JsonObject document)
    {
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description") continue;
                var schema = operation!["requestBody"]?["content"]?["application/json"]?["schema"]?.AsObject();
                var query = (operation["parameters"]?.AsArray() ?? []).Where(p => p!["in"]!.GetValue<string>() == "query")
                    .Select(p => p!["name"]!.GetValue<string>()).ToList();
                yield return new Operation(method.ToUpperInvariant(), path, schema, query);
            }
        }
    }

    /// <summary>A body that fits <paramref name="schema"/>: the first enum value, one element per list, every property.</summary>
    static JsonNode? Sample(JsonObject schema, JsonObject document, int depth)
    {
        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            schema = document["components"]!["schemas"]![reference.Split('/')[^1]]!.AsObject();
        }

        if (depth > 4) return null;
        if (schema["enum"] is JsonArray { Count: > 0 } values) return values.First(v => v is not null)!.DeepClone();
        foreach (var choice in new[] { "oneOf", "anyOf", "allOf" })
        {
            if (schema[choice] is JsonArray options)
            {
                var first = options.Select(o => o!.AsObject()).FirstOrDefault(o => o["type"]?.ToString() != "null");
                if (first is not null) return Sample(first, document, depth + 1);
            }
        }

        var types = schema["type"] switch
        {
            JsonArray list => list.Select(t => t!.GetValue<string>()).ToArray(),
            JsonValue one => [one.GetValue<string>()],
            _ => schema["properties"] is not null ? ["object"] : [],
        };
        var type = types.FirstOrDefault(t => t != "null");
        return type switch
        {
            "object" => Object(schema, document, depth),
            "array" => schema["items"] is JsonObject items ? new JsonArray(Sample(items, document, depth + 1)) : new JsonArray(),
            "integer" => 1,
            "number" => 1.5,
            "boolean" => true,
            "string" => schema["format"]?.GetValue<string>() switch
            {
                "date-time" => "2026-12-01T00:00:00Z",
                "date" => "2026-12-01",
                _ => "sample",
            },
            _ => null,
        };
    }

    static JsonObject Object(JsonObject schema, JsonObject document, int depth)
    {
        var result = new JsonObject();
        foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
        {
            result[name] = Sample(property!.AsObject(), document, depth + 1);
        }

        return result;
    }

    /// <summary>JSON paths of every value in <paramref name="node"/>, outermost first.</summary>
    static IEnumerable<string> Locations(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    yield return $"{path}.{name}";
                    if (child is not null) foreach (var inner in Locations(child, $"{path}.{name}")) yield return inner;
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    yield return $"{path}[{i}]";
                    if (a[i] is { } child) foreach (var inner in Locations(child, $"{path}[{i}]")) yield return inner;
                }

                break;
        }
    }

    /// <summary>The body with the value at <paramref name="location"/> replaced by raw JSON text.</summary>
    static string Replace(JsonNode valid, string location, string rawValue)
    {
        const string marker = "\"__tollgate_marker__\"";
        var copy = valid.DeepClone();
        var steps = StepPattern().Matches(location).Select(m => m.Value).ToList();
        JsonNode parent = copy;
        for (var i = 0; i < steps.Count - 1; i++) parent = Step(parent, steps[i])!;
        var last = steps[^1];
        if (last.StartsWith('[')) parent.AsArray()[int.Parse(last[1..^1])] = "__tollgate_marker__";
        else parent.AsObject()[last[1..]] = "__tollgate_marker__";
        return copy.ToJsonString().Replace(marker, rawValue, StringComparison.Ordinal);
    }

    static JsonNode? Step(JsonNode node, string step) => step.StartsWith('[') ? node.AsArray()[int.Parse(step[1..^1])] : node.AsObject()[step[1..]];

    [GeneratedRegex(@"\.[^.\[]+|\[\d+\]")]
    private static partial Regex StepPattern();

    record Fixtures(string CustomerId, string CustomerKey, string KeyId, string MemberId, string InvitationId, string GrantId, string LimitId, string RequestId);

    async Task<Fixtures> FixturesAsync()
    {
        var customer = await server.CustomerAsync("pro");
        var member = await server.Admin.PostAsync($"/api/v1/customers/{customer.Id}/members", new { email = $"m@{customer.Id}.example" });
        var invitation = await server.Admin.PostAsync($"/api/v1/customers/{customer.Id}/invitations", new { email = $"i@{customer.Id}.example" });
        var grant = await server.Admin.PostAsync($"/api/v1/customers/{customer.Id}/grants", new { feature = "monthly_queries", amount = 5 });
        var limit = await server.Admin.PostAsync("/api/v1/limits", new { scope = "customer", target = customer.Id, measure = "requests", amount = 100000, window = "day" });
        var keyId = (await server.Admin.GetAsync($"/api/v1/keys?customer_id={customer.Id}")).Data[0]!["id"]!.GetValue<string>();
        using var http = new HttpClient();
        using var call = await http.SendAsync(GatewayFixture.Post(server, "/v1/chat/completions", customer.Key,
            JsonNode.Parse("""{"model":"gpt-test","messages":[{"role":"user","content":"Hi"}]}""")!));
        var requestId = call.Headers.GetValues("x-request-id").Single();
        await server.UsageAsync(requestId);
        (await server.Admin.PostAsync("/api/v1/events", new { id = $"evt-{Guid.NewGuid():N}", code = "query", customer_id = customer.Id })).Status.ShouldBe(HttpStatusCode.OK);
        return new Fixtures(customer.Id, customer.Key, keyId, member.Id, invitation.Id, grant.Id, limit.Id, requestId);
    }

    static string Fill(string pattern, Fixtures f) =>
        Regex.Replace(pattern, @"\{(\w+)(:[^}]*)?\}", m => m.Groups[1].Value switch
        {
            "customerId" => f.CustomerId,
            "memberId" => f.MemberId,
            "invitationId" => f.InvitationId,
            "grantId" => f.GrantId,
            "requestId" => f.RequestId,
            "feature" => "monthly_queries",
            "version" => "1",
            "alias" => "gpt-test",
            "model" => "gpt-test",
            "name" => "fake-openai",
            "code" when pattern.StartsWith("/api/v1/plans", StringComparison.Ordinal) => "pro",
            "code" when pattern.StartsWith("/api/v1/features", StringComparison.Ordinal) => "monthly_queries",
            "code" => "queries",
            "id" when pattern.StartsWith("/api/v1/keys", StringComparison.Ordinal) => f.KeyId,
            "id" when pattern.StartsWith("/api/v1/limits", StringComparison.Ordinal) => f.LimitId,
            _ => "anything",
        });

    /// <summary>Rows per table: a refused request must leave every count as it was.</summary>
    async Task<string> RowCountsAsync()
    {
        await server.Get<Tollgate.Gateway.Usage.UsageDrain>().FlushAsync(); // the gateway's own records, of earlier requests, land first
        await using var connection = await server.Get<Database>().OpenAsync();
        var tables = await TablesAsync(connection);
        var counts = await connection.QuerySingleAsync<string>(
            "SELECT " + string.Join(" || ',' || ", tables.Select(t => $"'{t}=' || (SELECT COUNT(*) FROM {t})")));
        return counts;
    }

    IReadOnlyList<string>? _tables;

    async Task<IReadOnlyList<string>> TablesAsync(DbConnection connection)
    {
        // Tables background work writes to on its own (heartbeats, holds, key usage, idempotency) are not the request's.
        string[] background = ["nodes", "counter_holds", "idempotency_keys", "quota_counters", "threshold_alerts", "outbox"];
        return _tables ??= (await connection.QueryAsync<string>(server.Get<Database>().Kind == DatabaseKind.Postgres
                ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
                : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"))
            .Where(t => !background.Contains(t)).ToList();
    }

    static string Diff(string before, string after) =>
        string.Join(", ", before.Split(',').Zip(after.Split(',')).Where(p => p.First != p.Second).Select(p => $"{p.First} -> {p.Second}"));

    static string Shorten(string? text) => text is null ? "" : text.Length <= 160 ? text : text[..160] + "…";
}

/// <summary>On a server of its own: the sweep archives plans and deletes what it can, which other tests must not see.</summary>
public sealed class MalformedInputOnSqlite(SqliteServer server, ITestOutputHelper output) : MalformedInputTests(server, output), IClassFixture<SqliteServer>;

/// <summary>On a server (and database) of its own, for the same reason.</summary>
public sealed class MalformedInputOnPostgres(PostgresServer server, ITestOutputHelper output) : MalformedInputTests(server, output), IClassFixture<PostgresServer>;
