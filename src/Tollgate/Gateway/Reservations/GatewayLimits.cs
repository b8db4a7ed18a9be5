using Tollgate.Catalog;
using Tollgate.Limits;

namespace Tollgate.Gateway.Reservations;

/// <summary>
/// The hard rate limits, concurrency limits and budgets a gateway request falls under, each with the most the request
/// could count against it: one request, its prompt estimate plus <c>max_tokens</c>, one slot, its dearest charge.
/// </summary>
public sealed class GatewayLimits(LimitBook book, LimitUsage usage, TimeProvider time)
{
    public async ValueTask AddAsync(List<Reservation> wanted, GatewayCaller caller, RequestEstimate estimate, string? endUser)
    {
        var customer = caller.Customer;
        var limits = await book.ForAsync(customer?.Plan, customer?.CustomerId, caller.Key.Id);
        if (limits.Count == 0) return;
        var now = time.GetUtcNow();
        foreach (var limit in limits)
        {
            if (limit.Enforcement != Enforcement.Hard) continue;
            if (LimitSubject.Of(limit, customer?.CustomerId, caller.Key.Id, endUser) is not { } subject) continue;
            var amount = limit.Measure switch
            {
                LimitMeasure.Tokens => estimate.TotalTokens,
                LimitMeasure.Spend => estimate.ChargeNanos,
                _ => 1,
            };
            var period = LimitRules.PeriodOf(limit, now, customer?.BillingAnchor);
            wanted.Add(new LimitReservation(usage, limit, subject, period, amount));
        }
    }
}
