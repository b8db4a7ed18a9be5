using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Tollgate.Web;

/// <summary>
/// The pages' scripts, styles and their licences, built into the one deployable and served by it at <c>/assets/…</c>:
/// nothing is loaded from anywhere else. A page links each by <see cref="Url"/>, which carries a hash of its content,
/// so browsers may keep it for a year and still see a new version at once.
/// </summary>
public static class WebAssets
{
    const string ResourcePrefix = "web/";

    sealed record Asset(byte[] Content, string ContentType, string Hash);

    static readonly FrozenDictionary<string, Asset> All = Load();

    static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            assets[name] = new Asset(content, ContentTypeOf(name), Convert.ToHexStringLower(SHA256.HashData(content))[..12]);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };

    /// <summary>The address of an asset, versioned by its content.</summary>
    public static string Url(string name) =>
        All.TryGetValue(name, out var asset) ? $"/assets/{name}?v={asset.Hash}" : throw new ArgumentException($"There is no asset '{name}'.", nameof(name));

    public static IEndpointRouteBuilder MapWebAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assets/{name}", (HttpContext http, string name) =>
        {
            if (!All.TryGetValue(name, out var asset)) return Results.NotFound();
            var etag = $"\"{asset.Hash}\"";
            http.Response.Headers.ETag = etag;
            http.Response.Headers.CacheControl = http.Request.Query.ContainsKey("v") ? "public, max-age=31536000, immutable" : "public, max-age=300";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            if (http.Request.Headers.IfNoneMatch == etag) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.Bytes(asset.Content, asset.ContentType);
        }).ExcludeFromDescription();
        return app;
    }
}
