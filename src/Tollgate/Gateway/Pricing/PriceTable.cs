using System.Collections.Frozen;
using System.Text.Json;
using Tollgate.Common;

namespace Tollgate.Gateway.Pricing;

/// <summary>
/// The versioned model price list shipped in the binary (<c>prices/models.json</c>) with the operator's overrides laid
/// over it. Overrides change the version (<c>2026-11-01+ops.1a2b3c4d</c>) so every usage record says which prices it used.
/// </summary>
public sealed class PriceTable
{
    readonly FrozenDictionary<string, ModelPrice> _prices;

    public PriceTable(string version, IReadOnlyDictionary<string, ModelPrice> prices)
    {
        Version = version;
        _prices = prices.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    public string Version { get; }

    public IEnumerable<KeyValuePair<string, ModelPrice>> Entries => _prices;

    /// <summary>
    /// The price of a model by exact name, else by the longest known name it extends (<c>gpt-4o-mini-2024-07-18</c>
    /// is priced as <c>gpt-4o-mini</c>), ignoring a <c>provider/</c> prefix.
    /// </summary>
    public ModelPrice? Find(string? model)
    {
        if (string.IsNullOrEmpty(model)) return null;
        if (_prices.TryGetValue(model, out var exact)) return exact;
        var slash = model.LastIndexOf('/');
        if (slash >= 0 && slash < model.Length - 1) return Find(model[(slash + 1)..]);

        ModelPrice? best = null;
        var bestLength = 0;
        foreach (var (name, price) in _prices)
        {
            if (name.Length > bestLength && model.Length > name.Length && model[name.Length] is '-' or '@' or ':' &&
                model.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                best = price;
                bestLength = name.Length;
            }
        }

        return best;
    }

    public static PriceTable Load(IReadOnlyDictionary<string, ModelPrice>? overrides)
    {
        var shipped = Shipped();
        if (overrides is null || overrides.Count == 0) return shipped;

        var merged = new Dictionary<string, ModelPrice>(shipped._prices, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, price) in overrides) merged[name] = price;
        var fingerprint = RandomText.Sha256Hex(JsonSerializer.Serialize(overrides.OrderBy(o => o.Key, StringComparer.Ordinal), ApiJson.Options))[..8];
        return new PriceTable($"{shipped.Version}+ops.{fingerprint}", merged);
    }

    public static PriceTable Shipped()
    {
        using var stream = typeof(PriceTable).Assembly.GetManifestResourceStream("prices/models.json")
            ?? throw new InvalidOperationException("The price table is not embedded in this build.");
        var file = JsonSerializer.Deserialize<PriceFile>(stream, ApiJson.Options)
            ?? throw new InvalidOperationException("The embedded price table is empty.");
        return new PriceTable(file.Version, file.Models);
    }

    sealed record PriceFile(string Version, string Currency, string? Unit, string? Notes, Dictionary<string, ModelPrice> Models);
}
