using System.Globalization;
using Tollgate.Catalog;
using Tollgate.Counters;
using Tollgate.Entitlements;
using Tollgate.Gateway.Protocols;
using Tollgate.Metering.Queries;

namespace Tollgate.Gateway.Reservations;

/// <summary>
/// A request's hold on one hard quota of its customer, counted as the quota's metric counts the request's event;
/// <paramref name="limit"/> is the quota's limit with what grants add to it this period.
/// </summary>
public sealed class QuotaReservation(GatewayQuotas quotas, string customerId, Entitlement entitlement, Metric metric, Period period, long limit, long amount)
    : Reservation(new CounterKey(customerId, entitlement.Feature.Code, period.Start, period.End), limit, amount)
{
    public override Task<long> BaselineAsync(CancellationToken ct) => quotas.BaselineAsync(metric, customerId, period, ct);

    public override long Counted(Settlement settled) => GatewayQuotas.Counted(metric, settled.Properties);

    public override GatewayError Refusal(DateTimeOffset now) => GatewayError.QuotaExceeded(entitlement.Feature.Code, Limit, period.End);

    public override string HeaderGroup => "quota";

    public override void WriteHeaders(IHeaderDictionary headers, long remaining, DateTimeOffset now)
    {
        headers["x-tollgate-quota-feature"] = entitlement.Feature.Code;
        headers["x-tollgate-quota-limit"] = Limit.ToString(CultureInfo.InvariantCulture);
        headers["x-tollgate-quota-remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        headers["x-tollgate-quota-reset"] = period.End.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
