using System.Globalization;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Periods;
using Tollgate.Billing.Rating;

namespace Tollgate.Billing.Subscriptions;

/// <summary>A plan charge's usage over a period, rated.</summary>
public sealed record RatedUsage(string Metric, RatedCharge Charge);

/// <summary>
/// Drafts a subscription's invoice, purely: its recurring price for the period ahead (in advance), the usage of the
/// period behind it under the plan's charges (in arrears), then the totals (<see cref="InvoiceMath"/>). An invoice with
/// no line is not made.
/// </summary>
public static class SubscriptionInvoices
{
    public static Invoice? Draft(
        Subscription subscription, BillingReason reason, BillingPeriod? ahead, BillingPeriod? behind, IReadOnlyList<RatedUsage> usage,
        IReadOnlyList<AppliedTaxRate> taxes, string id, DateTimeOffset now)
    {
        var lines = new List<InvoiceLine>();
        if (ahead is { } next && subscription.PeriodAmount > 0)
        {
            lines.Add(new InvoiceLine(lines.Count + 1, InvoiceLineKind.Subscription, $"{Describe(subscription)} ({Dates(next)})", next.Start, next.End,
                subscription.Quantity, subscription.UnitAmount, subscription.PeriodAmount));
        }

        if (behind is { } last)
        {
            foreach (var (metric, charge) in usage)
            {
                foreach (var line in charge.Lines.Where(l => l.Amount != 0 || l.Kind == LineKind.Minimum))
                {
                    lines.Add(new InvoiceLine(lines.Count + 1, InvoiceLineKind.Usage, $"{metric}: {line.Description} ({Dates(last)})", last.Start, last.End,
                        line.Quantity, line.UnitAmount, line.Amount, metric, System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(line.Kind.ToString())));
                }
            }
        }

        if (lines.Count == 0) return null;
        var totals = InvoiceMath.Total([.. lines.Select(l => l.Amount)], [], taxes, 0);
        return new Invoice
        {
            Id = id,
            CustomerId = subscription.CustomerId,
            SubscriptionId = subscription.Id,
            Status = InvoiceStatus.Draft,
            BillingReason = reason,
            Currency = subscription.Currency,
            PeriodStart = lines.Min(l => l.PeriodStart),
            PeriodEnd = lines.Max(l => l.PeriodEnd),
            Lines = lines,
            Subtotal = totals.Subtotal,
            Discount = totals.Discount,
            Tax = totals.Tax,
            Taxes = totals.Taxes,
            Total = totals.Total,
            CreditsApplied = totals.CreditsApplied,
            AmountDue = totals.AmountDue,
            AmountPaid = 0,
            CreatedAt = now,
        };
    }

    static string Describe(Subscription s) => s.Quantity == 1 ? $"Plan {s.Plan}" : $"Plan {s.Plan} × {s.Quantity}";

    static string Dates(BillingPeriod period) =>
        $"{period.Start.ToString("d MMM yyyy", CultureInfo.InvariantCulture)} to {period.End.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}";
}
