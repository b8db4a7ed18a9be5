using System.Collections.Concurrent;
using System.Data.Common;
using Tollgate.Billing.Periods;
using Tollgate.Billing.Rating;
using Tollgate.Catalog;
using Tollgate.Metering.Queries;

namespace Tollgate.Billing.Subscriptions;

/// <summary>
/// What rating reads once and keeps over many subscriptions: published plan versions (they never change), and the
/// metrics as they stood when it started. Safe to share between batches billed at once.
/// </summary>
public sealed class RatingCache
{
    public ConcurrentDictionary<(string, int), PlanVersion?> Versions { get; } = [];
    public Dictionary<string, Metric>? Metrics { get; set; }
}

/// <summary>
/// One subscription's usage to rate: over <paramref name="Window"/>, a part of its current period or all of it. The
/// charges' included amounts are the window's share of <paramref name="Whole"/>: by default the subscription's whole
/// period; for a period cut short with its unused time credited (paused or cancelled now), the period it was cut from.
/// With <paramref name="SoFar"/>, only the usage before that instant is read, and only the charges paid in advance are
/// rated, without their minimums (a minimum is trued up at the window's end): what the usage so far has come to.
/// </summary>
public readonly record struct UsageToRate(Subscription Subscription, BillingPeriod Window, BillingPeriod? Whole = null, DateTimeOffset? SoFar = null)
{
    /// <summary>The stretch of time whose usage is read: the window, or its part before <see cref="SoFar"/>.</summary>
    public Period Read => new(Window.Start, SoFar is { } until && until < Window.End ? until : Window.End);
}

/// <summary>
/// Rates subscriptions' metered usage under the charges of their pinned plan version, from the metering data stored:
/// one query per metric and window for all of a batch's customers. A window that is only part of the period (a plan
/// changed now in the middle of it) gets that share of each charge's included amounts (<see cref="ChargeRater.ForShare"/>).
/// </summary>
public sealed class UsageRater(UsageAggregator usage, Metering.EventStore events)
{
    /// <summary>Each charge of each subscription's plan version in its currency, rated on the metric's value over its window.</summary>
    public async Task<Dictionary<string, List<RatedUsage>>> RateAsync(DbTransaction tx, IReadOnlyList<UsageToRate> billed, RatingCache cache, CancellationToken ct)
    {
        var rated = new Dictionary<string, List<RatedUsage>>(StringComparer.Ordinal);
        if (billed.Count == 0) return rated;
        cache.Metrics ??= await CatalogStore.MetricsInAsync(tx.Connection!, tx);
        var work = new List<(UsageToRate Item, ChargeSpec Charge, Metric Metric)>();
        foreach (var item in billed)
        {
            var subscription = item.Subscription;
            var key = (subscription.Plan, subscription.PlanVersion);
            if (!cache.Versions.TryGetValue(key, out var version))
            {
                version = (await PlanStore.VersionInAsync(tx, subscription.Plan, subscription.PlanVersion)).Version;
                if (version?.Status != PlanVersionStatus.Draft) cache.Versions[key] = version;
            }

            foreach (var charge in version?.Charges ?? [])
            {
                if (charge.Currency != subscription.Currency || charge.Model is null || charge.Metric is null || !cache.Metrics.TryGetValue(charge.Metric, out var metric)) continue;
                if (item.SoFar is not null && !charge.BillsUsageInAdvance) continue;
                work.Add((item, charge, metric));
            }
        }

        var totals = new Dictionary<(string Metric, bool Count, string Customer, Period Read), decimal>();
        foreach (var group in work.GroupBy(w => (w.Metric.Code, w.Item.Read)))
        {
            var metric = group.First().Metric;
            var window = group.Key.Read;
            var customers = group.Select(w => w.Item.Subscription.CustomerId).Distinct(StringComparer.Ordinal).ToList();
            await TotalsAsync(tx, metric, false, window, customers, totals, ct);
            if (group.Any(w => w.Charge.Model == ChargeModel.Percentage)) await TotalsAsync(tx, metric with { Aggregation = Aggregation.Count, Field = null }, true, window, customers, totals, ct);
        }

        foreach (var (item, charge, metric) in work)
        {
            var (subscription, window, whole, soFar) = item;
            var read = item.Read;
            var quantity = Math.Max(0, totals.GetValueOrDefault((metric.Code, false, subscription.CustomerId, read)));
            var full = (whole ?? subscription.FullPeriod).Length;
            var properties = ChargeRater.ForShare(charge.Properties ?? new ChargeProperties(), full < TimeSpan.FromSeconds(1) ? 1 : Proration.Share(window.Length, full));
            if (properties.PayInAdvance == true) properties = properties with { FixedAmount = null }; // billed with the period ahead instead
            if (soFar is not null) properties = properties with { MinimumAmount = null };
            var count = charge.Model == ChargeModel.Percentage ? (long)totals.GetValueOrDefault((metric.Code, true, subscription.CustomerId, read)) : 0;
            var values = charge.Model == ChargeModel.Percentage && (properties.PerEventMinimum is not null || properties.PerEventMaximum is not null)
                ? await EventValuesAsync(metric, subscription.CustomerId, read, ct)
                : null;
            if (!rated.TryGetValue(subscription.Id, out var list)) rated[subscription.Id] = list = [];
            RatedCharge charged;
            try
            {
                charged = ChargeRater.Rate(charge.Model!.Value, properties, new ChargeUsage(quantity, count, values));
            }
            catch (OverflowException e)
            {
                throw new OverflowException(
                    $"Subscription {subscription.Id}'s usage of {metric.Code} ({quantity:0.##########}) rates to more than an invoice line can hold.", e);
            }

            list.Add(new RatedUsage(metric.Name, charged, metric.Code, quantity, charge.BillsUsageInAdvance));
        }

        return rated;
    }

    /// <summary>The metric's value over the window for each of the customers, in one query (a customer with no events has none).</summary>
    async Task TotalsAsync(
        DbTransaction tx, Metric metric, bool count, Period window, IReadOnlyList<string> customers, Dictionary<(string, bool, string, Period), decimal> totals, CancellationToken ct)
    {
        var query = new UsageQuery(metric, null, window, new Dictionary<string, string[]>(), [UsageQuery.CustomerDimension], Customers: customers);
        var rows = await usage.QueryAsync(tx.Connection!, tx, query, ct);
        if (!rows.IsOk) throw new InvalidOperationException(rows.Error.Message);
        foreach (var row in rows.Value)
        {
            if (row is { Group: [{ } customer], Value: { } value }) totals[(metric.Code, count, customer, window)] = value;
        }
    }

    /// <summary>Most events a percentage charge with per-event bounds reads one by one in a period; more fails the subscription's billing, reported.</summary>
    const int MostEventsRatedOneByOne = 100_000;

    /// <summary>Each event's value of the metric's field over the period, oldest first: per-event bounds charge every event on its own.</summary>
    async Task<IReadOnlyList<decimal>> EventValuesAsync(Metric metric, string customerId, Period window, CancellationToken ct)
    {
        var values = new List<decimal>();
        var query = new Metering.EventQuery(customerId, metric.EventCode, window.Start, window.End, metric.Filters.Count == 0 ? null : metric.Filters);
        for (string? cursor = null; ;)
        {
            var page = await events.ListAsync(query, new Common.PageRequest(Common.PageRequest.MaxLimit, cursor), ct);
            foreach (var e in page.Data)
            {
                var value = metric.Field is { } field ? Metering.EventValues.Of(System.Text.Json.Nodes.JsonNode.Parse(e.Properties.Json)!.AsObject()).Number(field) : 1;
                if (value is { } v && v > 0) values.Add(v);
            }

            if (values.Count > MostEventsRatedOneByOne) throw new InvalidOperationException($"More than {MostEventsRatedOneByOne} events of '{metric.Code}' to rate one by one in a period.");
            if (!page.HasMore) break;
            cursor = page.NextCursor;
        }

        values.Reverse(); // the store lists newest first
        return values;
    }
}
