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
public sealed class RequestEstimate
{
    readonly GatewayRequest _request;
    readonly IReadOnlyList<Deployment> _plan;
    readonly Func<Deployment, TokenUsage, Cost> _price;
    readonly bool _tokenize;
    long? _chargeNanos;
    long? _inputTokens;

    RequestEstimate(GatewayRequest request, IReadOnlyList<Deployment> plan, Func<Deployment, TokenUsage, Cost> price, bool tokenize, long outputTokens, int images)
    {
        (_request, _plan, _price, _tokenize) = (request, plan, price, tokenize);
        OutputTokens = outputTokens;
        Images = images;
    }

    /// <summary>Counted when first asked for: a request under no token limit is never tokenized before it runs.</summary>
    public long InputTokens => _inputTokens ??= CountInput();

    public long OutputTokens { get; }

    public int Images { get; }

    public long TotalTokens => checked(InputTokens + OutputTokens);

    /// <summary>Priced when first asked for: the dearest charge among the deployments the request may be served by.</summary>
    public long ChargeNanos => _chargeNanos ??= Charge();

    public static RequestEstimate For(
        GatewayRequest request, IReadOnlyList<Deployment> plan, long defaultMaxTokens, Func<Deployment, TokenUsage, Cost> price, bool tokenize = true)
    {
        var generates = request.Operation is not (GatewayOperation.Embeddings or GatewayOperation.ImageGenerations);
        var output = generates ? checked((request.MaxOutputTokens ?? defaultMaxTokens) * request.Generations) : 0;
        var images = request.Operation == GatewayOperation.ImageGenerations ? request.Generations : 0;
        return new RequestEstimate(request, plan, price, tokenize, output, images);
    }

    /// <summary>Each tokenizer the plan may be served by counts the prompt once; the largest count is reserved.</summary>
    long CountInput()
    {
        if (_plan.Count == 0 || !_tokenize) return TokenEstimate.OfBytes(_request.BodyBytes);
        long most = 0;
        for (var i = 0; i < _plan.Count; i++)
        {
            var tokenizer = TokenCounter.For(_plan[i]);
            if (CountedBefore(tokenizer, i)) continue;
            most = Math.Max(most, TokenCounter.Prompt(_request, tokenizer));
        }

        return most;
    }

    bool CountedBefore(TokenEncoding? tokenizer, int index)
    {
        for (var j = 0; j < index; j++)
        {
            if (ReferenceEquals(TokenCounter.For(_plan[j]), tokenizer)) return true;
        }

        return false;
    }

    long Charge()
    {
        if (_plan.Count == 0) return 0;
        var usage = new TokenUsage(Input: InputTokens, Output: OutputTokens, Images: Images);
        var most = long.MinValue;
        foreach (var deployment in _plan) most = Math.Max(most, _price(deployment, usage).ChargeNanos);
        return most;
    }
}
