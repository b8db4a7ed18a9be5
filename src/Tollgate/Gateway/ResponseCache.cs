using Microsoft.Extensions.Options;
using Tollgate.Common;
using Tollgate.Gateway.Pricing;

namespace Tollgate.Gateway;

/// <summary>
/// Exact-match cache of non-streamed answers, per customer (tenants never share entries), keyed by the SHA-256 of the
/// operation, model alias and request body as sent. Opt-in per request (<c>x-tollgate-cache: true</c>) or per plan.
/// Bounded by entries (<see cref="ResponseCacheOptions.MaxEntries"/>) and bytes (<see cref="ResponseCacheOptions.MaxBytes"/>):
/// when full, the least recently used answers make room, one by one (an LRU), never all of them at once. Expired answers
/// go when they are asked for or pushed out.
/// </summary>
public sealed class ResponseCache(IOptions<GatewayOptions> options, TimeProvider time)
{
    /// <summary>What an entry costs besides its body: its key, its record and the cache's bookkeeping.</summary>
    const long EntryOverhead = 512;

    readonly ResponseCacheOptions _options = options.Value.Cache;
    readonly LruCache<string, Entry> _entries = new(options.Value.Cache.MaxEntries, options.Value.Cache.MaxBytes, static (_, entry) => entry.Body.Length + EntryOverhead);

    public sealed record Entry(byte[] Body, string ServedModel, string Provider, TokenUsage Usage, Cost Cost, long ExpiresAtTicks);

    /// <summary>The TTL to cache this request for, or null when it is not cached.</summary>
    public TimeSpan? TtlFor(HttpRequest request, string? plan)
    {
        var header = request.Headers["x-tollgate-cache"].ToString();
        var optedIn = header.Equals("true", StringComparison.OrdinalIgnoreCase) || (plan is not null && _options.Plans.Contains(plan, StringComparer.OrdinalIgnoreCase));
        if (!optedIn || header.Equals("false", StringComparison.OrdinalIgnoreCase)) return null;
        var seconds = int.TryParse(request.Headers["x-tollgate-cache-ttl"].ToString(), out var ttl) ? ttl : _options.DefaultTtlSeconds;
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, _options.MaxTtlSeconds));
    }

    public static string Key(string? customerId, string operation, string alias, ReadOnlySpan<byte> body)
    {
        var prefix = System.Text.Encoding.UTF8.GetBytes($"{customerId}\n{operation}\n{alias}\n");
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. prefix, .. body]));
    }

    public Entry? Get(string key) =>
        _entries.TryGet(key, out var entry, keep: e => e.ExpiresAtTicks > time.GetUtcNow().UtcTicks) ? entry : null;

    public int Count => _entries.Count;

    /// <summary>Caches an answer; when there is no room, the least recently used answers go, one by one, until there is.</summary>
    public void Put(string key, Entry entry) => _entries.Set(key, entry);

    /// <summary>What a hit is charged: the original charge scaled by the operator's ratio; it costs nothing upstream.</summary>
    public Cost HitCost(Cost original) =>
        original with { CostNanos = 0, ChargeNanos = (long)Math.Round(original.ChargeNanos * _options.HitChargeRatio, MidpointRounding.AwayFromZero) };
}
