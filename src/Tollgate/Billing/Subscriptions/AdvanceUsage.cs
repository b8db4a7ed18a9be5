using System.Data.Common;
using Dapper;
using Tollgate.Billing.Invoices;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Billing.Subscriptions;

/// <summary>
/// What was billed in advance of a subscription's usage in its current usage window, charge by charge (by metric code),
/// on invoices not void; and how many invoices billed it, void ones too (the next one's billing key counts on).
/// </summary>
public sealed record AdvanceBilled(IReadOnlyDictionary<string, long> ByMetric, int Invoices)
{
    public static readonly AdvanceBilled None = new(new Dictionary<string, long>(StringComparer.Ordinal), 0);

    public long Of(string metric) => ByMetric.GetValueOrDefault(metric);
}

/// <summary>
/// The record of usage billed as it accrues (charges with <c>pay_in_advance</c>): one row per invoice and charge, with
/// the usage window it billed ahead of. An invoice voided no longer counts, so its usage is billed again, by the next
/// run or at the window's end; one credited by a credit note still counts (the credit note is what gave it back).
/// </summary>
public sealed class AdvanceUsageStore(Database database) : IInvoiceVoidRule
{
    /// <summary>
    /// An invoice billing usage in advance of a window that has closed cannot be voided: the window's end took off what
    /// it billed, so voiding it would give that usage away. A credit note gives money back instead. The subscription is
    /// locked, so that no run closes the window while it is voided.
    /// </summary>
    public async Task<ApiError?> RefusesAsync(DbTransaction tx, Invoice invoice)
    {
        if (invoice.BillingReason != BillingReason.UsageInAdvance || invoice.SubscriptionId is not { } id) return null;
        var subscription = await tx.Connection!.QuerySingleOrDefaultAsync<(DateTimeOffset? UsageFrom, DateTimeOffset CurrentPeriodStart)>(
            $"SELECT usage_from, current_period_start FROM subscriptions WHERE id = @id{database.ForUpdate}", new { id }, tx);
        var billed = await tx.Connection!.QueryAsync<DateTimeOffset>("SELECT window_start FROM advance_usage_bills WHERE invoice_id = @id", new { id = invoice.Id }, tx);
        var current = subscription.UsageFrom ?? subscription.CurrentPeriodStart; // Subscription.UsageWindow's start
        return billed.All(start => start == current) ? null
            : ApiError.Conflict("advance_usage_settled",
                $"Invoice {invoice.Id} billed usage in advance of a window that has closed, whose invoice took it off; issue a credit note instead of voiding it.");
    }

    /// <summary>What was billed in advance of each subscription's current usage window (<see cref="Subscription.UsageWindow"/>), in one query.</summary>
    public async Task<IReadOnlyDictionary<string, AdvanceBilled>> BilledAsync(DbTransaction tx, IReadOnlyCollection<Subscription> subscriptions)
    {
        var billed = new Dictionary<string, AdvanceBilled>(StringComparer.Ordinal);
        if (subscriptions.Count == 0) return billed;
        var windows = subscriptions.ToDictionary(s => s.Id, s => s.UsageWindow.Start, StringComparer.Ordinal);
        var rows = await tx.Connection!.QueryAsync<(string SubscriptionId, DateTimeOffset WindowStart, string InvoiceId, string Metric, long Amount, string Status)>(
            $"""
            SELECT b.subscription_id, b.window_start, b.invoice_id, b.metric, b.amount, i.status
            FROM advance_usage_bills b JOIN invoices i ON i.id = b.invoice_id
            WHERE b.subscription_id {database.AnyOf("ids")} AND b.window_start >= @from
            """, new { ids = database.ListOf(windows.Keys), from = windows.Values.Min() }, tx);
        foreach (var window in rows.Where(r => windows[r.SubscriptionId] == r.WindowStart).GroupBy(r => r.SubscriptionId))
        {
            var byMetric = window.Where(r => r.Status != "void").GroupBy(r => r.Metric, StringComparer.Ordinal).ToDictionary(m => m.Key, m => m.Sum(r => r.Amount), StringComparer.Ordinal);
            billed[window.Key] = new AdvanceBilled(byMetric, window.Select(r => r.InvoiceId).Distinct(StringComparer.Ordinal).Count());
        }

        return billed;
    }

    /// <summary>Records what invoices billed in advance of usage windows, in the transaction that issued them.</summary>
    public static Task RecordAsync(DbTransaction tx, IReadOnlyList<AdvanceBill> bills) =>
        bills.Count == 0 ? Task.CompletedTask : tx.Connection!.ExecuteAsync(
            "INSERT INTO advance_usage_bills (invoice_id, metric, subscription_id, window_start, amount) VALUES (@InvoiceId, @Metric, @SubscriptionId, @WindowStart, @Amount)",
            bills, tx);
}

/// <summary>What one invoice billed in advance of one charge's usage (by metric code) in a subscription's usage window.</summary>
public sealed record AdvanceBill(string InvoiceId, string Metric, string SubscriptionId, DateTimeOffset WindowStart, long Amount);
