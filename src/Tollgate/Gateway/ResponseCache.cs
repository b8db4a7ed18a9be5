using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Tollgate.Gateway.Pricing;

namespace Tollgate.Gateway;

/// <summary>
/// Exact-match cache of non-streamed answers, per customer (tenants never share entries), keyed by the SHA-256 of the
/// operation, model alias and request body as sent. Opt-in per request (<c>x-tollgate-cache: true</c>) or per plan.
/// </summary>
public sealed class ResponseCache(IOptions<GatewayOptions> options, TimeProvider time)
{
    readonly ResponseCacheOptions _options = options.Value.Cache;
    readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

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

    public Entry? Get(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return null;
        if (entry.ExpiresAtTicks > time.GetUtcNow().UtcTicks) return entry;
        _entries.TryRemove(key, out _);
        return null;
    }

    public void Put(string key, Entry entry)
    {
        if (_entries.Count >= _options.MaxEntries)
        {
            var now = time.GetUtcNow().UtcTicks;
            foreach (var (k, e) in _entries)
            {
                if (e.ExpiresAtTicks <= now) _entries.TryRemove(k, out _);
            }

            if (_entries.Count >= _options.MaxEntries) return;
        }

        _entries[key] = entry;
    }

    /// <summary>What a hit is charged: the original charge scaled by the operator's ratio; it costs nothing upstream.</summary>
    public Cost HitCost(Cost original) =>
        original with { CostNanos = 0, ChargeNanos = (long)Math.Round(original.ChargeNanos * _options.HitChargeRatio, MidpointRounding.AwayFromZero) };
}
