using System.Globalization;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Periods;
using Tollgate.Billing.Rating;
using Tollgate.Common;

namespace Tollgate.Billing.Subscriptions;

/// <summary>
/// A plan charge's usage over a period, rated: <paramref name="Metric"/> is the metric's name, <paramref name="Code"/>
/// its code, <paramref name="Quantity"/> its value; <paramref name="InAdvance"/> when the charge bills its usage as it accrues.
/// </summary>
public sealed record RatedUsage(string Metric, RatedCharge Charge, string Code, decimal Quantity, bool InAdvance = false);

/// <summary>
/// Drafts a subscription's invoice, purely: its recurring price for the period ahead (in advance), the usage of the
/// period behind it under the plan's charges (in arrears), then the totals (<see cref="InvoiceMath"/>). An invoice with
/// no line is not made.
/// </summary>
public static class SubscriptionInvoices
{
    /// <summary>The lines of a subscription's invoice: the period ahead's price, then the usage behind, charge by charge.</summary>
    /// <remarks>
    /// Usage billed in advance of the period behind (<paramref name="billedInAdvance"/>) is taken off charge by charge:
    /// the period's end bills what its usage came to less what was billed of it as it accrued, a credit when less; what
    /// was billed of a metric the plan no longer bills in advance is taken off all the same.
    /// </remarks>
    public static List<InvoiceLine> Lines(
        Subscription subscription, BillingPeriod? ahead, BillingPeriod? behind, IReadOnlyList<RatedUsage> usage, IReadOnlyList<Catalog.ChargeSpec>? charges = null,
        AdvanceBilled? billedInAdvance = null)
    {
        var lines = new List<InvoiceLine>();
        if (ahead is { } next && subscription.PeriodAmount > 0)
        {
            lines.Add(PeriodLine(subscription, next));
        }

        if (ahead is { } covered) lines.AddRange(AdvanceLines(subscription, covered, charges ?? []));

        if (behind is { } last)
        {
            foreach (var (metric, charge, _, _, _) in usage)
            {
                foreach (var line in charge.Lines.Where(l => l.Amount != 0 || l.Kind == LineKind.Minimum))
                {
                    lines.Add(new InvoiceLine(lines.Count + 1, InvoiceLineKind.Usage, $"{metric}: {line.Description} ({Dates(last)})", last.Start, last.End,
                        line.Quantity, line.UnitAmount, line.Amount, metric, EnumText.Snake(line.Kind)));
                }
            }

            // All of it, whatever the charges are now: a change dated at the window's start leaves it to the new plan's.
            foreach (var (code, billed) in (billedInAdvance ?? AdvanceBilled.None).ByMetric.Where(m => m.Value > 0).OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                var metric = usage.FirstOrDefault(u => u.Code == code)?.Metric ?? code;
                lines.Add(new InvoiceLine(lines.Count + 1, InvoiceLineKind.Usage, $"{metric}: billed in advance ({Dates(last)})", last.Start, last.End,
                    1, -billed, -billed, metric, BilledInAdvance));
            }
        }

        return lines;
    }

    /// <summary>The detail of the line that takes off, at a usage window's end, what was billed of a charge's usage as it accrued.</summary>
    public const string BilledInAdvance = "billed_in_advance";

    /// <summary>The detail of a line billing a charge's usage as it accrues.</summary>
    public const string UsageInAdvance = "usage_in_advance";

    /// <summary>
    /// The usage billed as it accrues, in a window under way: for each charge paid in advance, what its usage so far
    /// (<paramref name="soFar"/>, read up to <paramref name="now"/>) comes to beyond what was billed of it
    /// (<paramref name="billed"/>), with the metric's code. A charge that comes to no more (volume pricing can come to
    /// less as usage grows) bills nothing now; the window's end settles it.
    /// </summary>
    public static IEnumerable<(InvoiceLine Line, string Code)> AdvanceUsageLines(BillingPeriod window, DateTimeOffset now, IReadOnlyList<RatedUsage> soFar, AdvanceBilled billed)
    {
        foreach (var (metric, charge, code, quantity, _) in soFar.Where(u => u.InAdvance))
        {
            var accrued = checked(charge.Amount - billed.Of(code));
            if (accrued <= 0) continue;
            var to = now < window.End ? now : window.End;
            yield return (new InvoiceLine(1, InvoiceLineKind.Usage, $"{metric}: usage so far, in advance ({Dates(new BillingPeriod(window.Start, to))})", window.Start, to,
                quantity, null, accrued, metric, UsageInAdvance), code);
        }
    }

    /// <summary>
    /// The true-up to a minimum commitment for the period behind: what the period spent falls short of
    /// <paramref name="minimum"/>. Spent is what was paid ahead for it (its recurring price, the fixed amounts of its
    /// <paramref name="charges"/> paid in advance) and its usage (the usage lines among <paramref name="lines"/> within
    /// it, not those paid ahead for the next period). None when it reaches it, or when the period was cut short.
    /// </summary>
    public static InvoiceLine? CommitmentLine(
        Subscription subscription, long? minimum, BillingPeriod behind, IReadOnlyList<InvoiceLine> lines, IReadOnlyList<Catalog.ChargeSpec> charges)
    {
        if (minimum is not > 0 || BillingPeriod.At(subscription.BillingAnchor, subscription.Interval, behind.Start) != behind) return null;
        var paidAhead = AdvanceLines(subscription, behind, charges).Sum(l => l.Amount);
        // What was billed in advance of the period's usage was spent on it too: the usage lines count whole.
        var used = lines.Where(l => l.Kind == InvoiceLineKind.Usage && l.PeriodEnd <= behind.End && l.Detail != BilledInAdvance).Sum(l => l.Amount);
        var spent = checked(subscription.PeriodAmount + paidAhead + used);
        return spent >= minimum ? null
            : new InvoiceLine(1, InvoiceLineKind.Commitment, $"Minimum commitment of {minimum.Value.ToString(CultureInfo.InvariantCulture)} ({Dates(behind)})",
                behind.Start, behind.End, 1, minimum.Value, minimum.Value - spent);
    }

    /// <summary>An invoice of the subscription made of <paramref name="lines"/>, renumbered in order; none without lines.</summary>
    public static Invoice? FromLines(
        Subscription subscription, BillingReason reason, IReadOnlyList<InvoiceLine> lines, IReadOnlyList<AppliedTaxRate> taxes, string id, DateTimeOffset now,
        InvoiceDiscount? discount = null)
    {
        if (lines.Count == 0) return null;
        lines = [.. lines.Select((l, i) => l with { Position = i + 1 })];
        var totals = InvoiceMath.Total([.. lines.Select(l => l.Amount)], discount is null ? [] : [discount], taxes, 0);
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
            DiscountCode = totals.Discount > 0 ? discount?.Code : null,
            Total = totals.Total,
            CreditsApplied = totals.CreditsApplied,
            AmountDue = totals.AmountDue,
            AmountPaid = 0,
            CreatedAt = now,
            TestClockId = subscription.TestClockId,
        };
    }

    /// <summary>
    /// A period's price of the subscription, billed in advance; a first period up to a billing anchor is that share of
    /// a whole one's price, to the second, rounded once (as a proration is).
    /// </summary>
    public static InvoiceLine PeriodLine(Subscription subscription, BillingPeriod period)
    {
        if (ShareOfWhole(subscription, period) is not { } share)
        {
            return new(1, InvoiceLineKind.Subscription, $"{Describe(subscription)} ({Dates(period)})", period.Start, period.End,
                subscription.Quantity, subscription.UnitAmount, subscription.PeriodAmount);
        }

        return new(1, InvoiceLineKind.Subscription, $"{Describe(subscription)} ({Dates(period)}, prorated to the billing anchor)", period.Start, period.End,
            subscription.Quantity, subscription.UnitAmount, MinorUnits.Round(subscription.PeriodAmount * share));
    }

    /// <summary>
    /// The fixed amounts of the charges paid in advance (<c>pay_in_advance</c>) for the period ahead, in the
    /// subscription's currency: billed with the period they cover, that share of it for a first period up to a billing
    /// anchor. Their usage is billed at the period's end, as every charge's.
    /// </summary>
    public static IEnumerable<InvoiceLine> AdvanceLines(Subscription subscription, BillingPeriod period, IReadOnlyList<Catalog.ChargeSpec> charges)
    {
        var share = ShareOfWhole(subscription, period) ?? 1m;
        foreach (var charge in charges)
        {
            if (charge is not { Properties: { PayInAdvance: true, FixedAmount: > 0 and var amount }, Metric: { } metric } || charge.Currency != subscription.Currency) continue;
            yield return new InvoiceLine(1, InvoiceLineKind.Usage, $"{metric}: fixed amount, in advance ({Dates(period)})", period.Start, period.End,
                1, amount, MinorUnits.Round(amount * share), metric, "fixed_in_advance");
        }
    }

    /// <summary>
    /// The fixed amounts paid in advance (<c>pay_in_advance</c>) of <paramref name="charges"/> in the subscription's
    /// currency, prorated from <paramref name="at"/> to the end of its period against the whole period (as its price is):
    /// the credit for their unused time, or the charge for their remaining time (<paramref name="kind"/>).
    /// </summary>
    public static IEnumerable<InvoiceLine> AdvanceProrations(Subscription subscription, IReadOnlyList<Catalog.ChargeSpec> charges, DateTimeOffset at, ProrationKind kind)
    {
        foreach (var charge in charges)
        {
            if (charge is not { Properties: { PayInAdvance: true, FixedAmount: > 0 and var amount }, Metric: { } metric } || charge.Currency != subscription.Currency) continue;
            var name = $"{metric}: fixed amount ({Describe(subscription)})";
            if (Proration.Line(kind, subscription.FullPeriod, at, amount, 1, name) is { } line) yield return ProrationLine(line) with { Metric = metric };
        }
    }

    /// <summary>
    /// The credit for the unused time from <paramref name="at"/> of all the subscription paid ahead for its period: its
    /// price, and the fixed amounts of its charges paid in advance.
    /// </summary>
    public static IEnumerable<InvoiceLine> UnusedTime(Subscription subscription, IReadOnlyList<Catalog.ChargeSpec> charges, DateTimeOffset at)
    {
        if (Proration.Line(ProrationKind.UnusedTime, subscription.FullPeriod, at, subscription.UnitAmount, subscription.Quantity, Describe(subscription)) is { } price) yield return ProrationLine(price);
        foreach (var line in AdvanceProrations(subscription, charges, at, ProrationKind.UnusedTime)) yield return line;
    }

    /// <summary>The share of a whole period <paramref name="period"/> is when it is a first period up to a billing anchor; null when it is whole.</summary>
    static decimal? ShareOfWhole(Subscription subscription, BillingPeriod period)
    {
        var full = period == subscription.CurrentPeriod ? subscription.FullPeriod : period;
        return full == period ? null : Proration.Share(period.Length, full.Length);
    }

    /// <summary>A proration credit or charge as an invoice line (a credit is the one line an invoice may hold below zero).</summary>
    public static InvoiceLine ProrationLine(ProrationLine line) =>
        new(1, InvoiceLineKind.Proration, line.Description, line.From, line.To, line.Quantity, line.UnitAmount, line.Amount, Detail: EnumText.Snake(line.Kind));

    static string Describe(Subscription s) => s.Quantity == 1 ? $"Plan {s.Plan}" : $"Plan {s.Plan} × {s.Quantity}";

    static string Dates(BillingPeriod period) =>
        $"{period.Start.ToString("d MMM yyyy", CultureInfo.InvariantCulture)} to {period.End.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}";
}
