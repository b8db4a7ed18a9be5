using Microsoft.Extensions.Options;
using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Reservations;

/// <summary>Before a gateway call runs: its worst case, reserved on every hard quota, rate limit and budget it falls under.</summary>
sealed class CallReservations(GatewayQuotas quotas, GatewayLimits limits, GatewayReservations reservations, PriceBook prices, IOptions<GatewayOptions> options)
{
    readonly GatewayOptions _options = options.Value;

    /// <summary>Holds room on every hard quota, rate limit and budget the request falls under, or answers why not.</summary>
    public async ValueTask<GatewayError?> ReserveAsync(HttpContext context, GatewayCaller caller, GatewayRequest request, IReadOnlyList<Deployment> plan, GatewayCall call)
    {
        var held = call.Held;
        var estimate = RequestEstimate.For(
            request, plan, _options.DefaultMaxTokens, (deployment, tokens) => prices.Price(deployment, request.Model, caller.Customer?.Plan, tokens), _options.Tokenizers);
        call.Estimate = estimate;
        var wanted = new List<Reservation>(8);
        if (caller.Customer is { } customer && await quotas.AddAsync(wanted, customer, caller, request, estimate, context.RequestAborted) is { } refused)
        {
            return refused;
        }
        await limits.AddAsync(wanted, caller, estimate, request.EndUser);
        if (wanted.Count == 0) return null;
        var refusal = await reservations.ReserveAsync(wanted, held, context.Response.Headers, context.RequestAborted);
        if (refusal is null) reservations.WriteHeaders(held, context.Response.Headers);
        return refusal;
    }
}
