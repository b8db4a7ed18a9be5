using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Translation;

namespace Tollgate.Gateway.Reservations;

/// <summary>
/// The most a request could use, known before it runs: its prompt's estimated tokens, <c>max_tokens</c> of output
/// (<see cref="DefaultMaxOutputTokens"/> when unset), the images asked for, and the dearest charge among the
/// deployments it may be served by (priced only when a budget or spend quota asks for it).
/// </summary>
public sealed class RequestEstimate(long inputTokens, long outputTokens, int images, Func<TokenUsage, long> charge)
{
    /// <summary>The output tokens reserved for a request that sets no <c>max_tokens</c>.</summary>
    public const long DefaultMaxOutputTokens = 4096;

    long? _chargeNanos;

    public long InputTokens { get; } = inputTokens;

    public long OutputTokens { get; } = outputTokens;

    public int Images { get; } = images;

    public long TotalTokens => InputTokens + OutputTokens;

    public long ChargeNanos => _chargeNanos ??= charge(new TokenUsage(Input: InputTokens, Output: OutputTokens, Images: Images));

    public static RequestEstimate For(GatewayRequest request, IReadOnlyList<Deployment> plan, Func<Deployment, TokenUsage, Cost> price)
    {
        var input = (long)TokenEstimate.OfBytes(request.BodyBytes);
        var generates = request.Operation is not (GatewayOperation.Embeddings or GatewayOperation.ImageGenerations);
        var output = generates
            ? Json.Long(request.Body["max_completion_tokens"]) ?? Json.Long(request.Body["max_tokens"]) ?? DefaultMaxOutputTokens
            : 0;
        var images = request.Operation == GatewayOperation.ImageGenerations ? (int)Math.Clamp(Json.Long(request.Body["n"]) ?? 1, 1, 1000) : 0;
        return new RequestEstimate(input, Math.Max(0, output), images, usage => plan.Count == 0 ? 0 : plan.Max(d => price(d, usage).ChargeNanos));
    }
}
