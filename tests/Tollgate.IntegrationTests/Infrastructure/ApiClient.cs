using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Common;

namespace Tollgate.IntegrationTests.Infrastructure;

public sealed record ApiResponse(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Raw)
{
    public string? Code => Body?["code"]?.GetValue<string>();

    /// <summary>The body's <c>id</c>; a response without one fails with its status and body, so a flaky run says why.</summary>
    public string Id => Body?["id"]?.GetValue<string>()
        ?? throw new InvalidOperationException($"{Raw.RequestMessage?.Method} {Raw.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)Status} without an id: {Body?.ToJsonString() ?? "(no JSON body)"}");

    public string? Str(string name) => Body?[name]?.GetValue<string>();

    public JsonArray Data => Body!["data"]!.AsArray();

    public string[] FieldErrors => Body?["errors"]?.AsObject().Select(e => e.Key).ToArray() ?? [];
}

/// <summary>Talks to the server over real HTTP, with a key, in the API's own JSON shape.</summary>
public sealed class ApiClient(Uri baseAddress, string? key)
{
    static readonly HttpClient Http = new();

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<ApiResponse> PostAsync(string path, object? body = null, string? idempotencyKey = null) =>
        SendAsync(HttpMethod.Post, path, body, idempotencyKey);

    public Task<ApiResponse> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> PatchAsync(string path, object body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    /// <summary>Sends <paramref name="json"/> exactly as given, for malformed bodies.</summary>
    public Task<ApiResponse> PostRawAsync(string path, string json) => SendAsync(HttpMethod.Post, path, new RawJson(json));

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(baseAddress, path));
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (body is not null)
        {
            var json = body is RawJson raw ? raw.Text : ApiJson.Serialize(body);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var node = text.Length > 0 && (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) ?? false)
            ? JsonNode.Parse(text)
            : null;
        return new ApiResponse(response.StatusCode, node, response);
    }

    sealed record RawJson(string Text);
}
