using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Tokens;

namespace Tollgate.Gateway.Reservations;

/// <summary>
/// The most a request could use, known before it runs: its prompt's tokens (counted by the model's tokenizer, or
/// estimated from its bytes, see <see cref="TokenCounter"/>), <c>max_tokens</c> of output
/// (the gateway's default, also sent upstream, when unset) for each of the <c>n</c> or <c>best_of</c> answers, the
/// images asked for, and the dearest charge among the deployments it may be served by (priced only when a budget or
/// spend quota asks for it). The request's numbers are bounded when it is read, and summed here with checked arithmetic.
/// </summary>
public sealed class RequestEstimate(Func<long> inputTokens, long outputTokens, int images, Func<TokenUsage, long> charge)
{
    long? _chargeNanos;
    long? _inputTokens;

    /// <summary>Counted when first asked for: a request under no token limit is never tokenized before it runs.</summary>
    public long InputTokens => _inputTokens ??= inputTokens();

    public long OutputTokens { get; } = outputTokens;

    public int Images { get; } = images;

    public long TotalTokens => checked(InputTokens + OutputTokens);

    public long ChargeNanos => _chargeNanos ??= charge(new TokenUsage(Input: InputTokens, Output: OutputTokens, Images: Images));

    public static RequestEstimate For(
        GatewayRequest request, IReadOnlyList<Deployment> plan, long defaultMaxTokens, Func<Deployment, TokenUsage, Cost> price, bool tokenize = true)
    {
        // Each tokenizer the plan may be served by counts the prompt; the largest count is reserved.
        Func<long> input = () => plan.Count == 0 || !tokenize
            ? TokenEstimate.OfBytes(request.BodyBytes)
            : plan.Select(TokenCounter.For).Distinct().Max(tokenizer => TokenCounter.Prompt(request, tokenizer));
        var generates = request.Operation is not (GatewayOperation.Embeddings or GatewayOperation.ImageGenerations);
        var output = generates ? checked((request.MaxOutputTokens ?? defaultMaxTokens) * request.Generations) : 0;
        var images = request.Operation == GatewayOperation.ImageGenerations ? request.Generations : 0;
        return new RequestEstimate(input, output, images, usage => plan.Count == 0 ? 0 : plan.Max(d => price(d, usage).ChargeNanos));
    }
}
