using Tollgate.Common;

namespace Tollgate.Catalog;

/// <summary>The seed catalogs shipped inside the binary: <c>catalog apply answer-engine</c> works without the repository.</summary>
public static class CatalogTemplates
{
    const string Prefix = "catalogs/";

    public static IReadOnlyList<string> Names { get; } = typeof(CatalogTemplates).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^5])
        .Order(StringComparer.Ordinal)
        .ToList();

    public static string? Read(string name)
    {
        using var stream = typeof(CatalogTemplates).Assembly.GetManifestResourceStream($"{Prefix}{name}.json");
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static CatalogDocument? Load(string name) => Read(name) is { } json ? ApiJson.Deserialize<CatalogDocument>(json) : null;
}
