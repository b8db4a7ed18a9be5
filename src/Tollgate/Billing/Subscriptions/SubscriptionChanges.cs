using Tollgate.Billing.Invoices;
using Tollgate.Billing.Periods;
using Tollgate.Catalog;
using Tollgate.Common;

namespace Tollgate.Billing.Subscriptions;

/// <summary>
/// What a change does to a subscription, purely: the subscription after it, and the lines it bills.
/// <see cref="BillNow"/> says they go on an invoice at once, as they must when a new period starts with the change.
/// </summary>
public sealed record ChangeOutcome(Subscription After, IReadOnlyList<InvoiceLine> Lines, bool BillNow);

/// <summary>
/// Plan, interval and quantity changes (docs/billing.md, "Changing a subscription"):
/// <list type="bullet">
/// <item>at the period's end: scheduled on the subscription, applied by the invoice run, nothing prorated;</item>
/// <item>now, within the same interval: the plan and quantity change at once, with a credit for the unused time at the
/// old price and a charge for the same time at the new one, to the second (<see cref="Proration"/>); so, for a change
/// of plan, the fixed amounts of charges paid in advance, the old plan's and the new one's;</item>
/// <item>now, to another interval: a new period starts at the change (the billing anchor moves there), the unused time
/// of the old one (price and fixed amounts paid in advance) is credited and the new one billed in full, at once;</item>
/// <item>during a trial: the change applies and nothing is billed until the trial ends.</item>
/// </list>
/// </summary>
public static class SubscriptionChanges
{
    /// <param name="currentCharges">The charges of the subscription's plan version now (whose fixed amounts paid in advance a change of plan prorates).</param>
    public static Result<ChangeOutcome> Apply(
        Subscription current, IReadOnlyList<ChargeSpec> currentCharges, PlanVersion version, ChangeSubscriptionRequest request, DateTimeOffset at, DateTimeOffset now)
    {
        if (!current.GivesAccess || current.CancelAtPeriodEnd)
        {
            return new ApiError("subscription_state", StatusCodes.Status409Conflict,
                $"Subscription {current.Id} is {EnumText.Snake(current.Status)}{(current.CancelAtPeriodEnd ? " and set to end" : "")}; only a live subscription can change.");
        }

        var check = new Validation();
        var quantity = request.Quantity ?? current.Quantity;
        check.Range("quantity", quantity, 1, SubscriptionRules.MaxQuantity);
        if (at < current.UsageWindow.Start || at > now)
        {
            // Before a change made earlier in the period, the usage it split would be billed under both plans.
            check.Add("proration_date", $"must be within the current period, not before its last change of plan ({current.UsageWindow.Start:O}), and not after now.");
        }
        if (check.Failed) return check.ToError();

        var interval = request.Interval ?? current.Interval;
        if (SubscriptionRules.PriceOf(version, interval, current.Currency) is not { } unitAmount)
        {
            return new ApiError("price_not_found", StatusCodes.Status400BadRequest, $"Plan '{version.Plan}' has no {EnumText.Snake(interval)} price in {current.Currency}.");
        }

        var target = new ScheduledChange(version.Plan, version.Version, interval, quantity, unitAmount);
        if (target == new ScheduledChange(current.Plan, current.PlanVersion, current.Interval, current.Quantity, current.UnitAmount))
        {
            return new ApiError("nothing_to_change", StatusCodes.Status400BadRequest, "The subscription already has this plan, interval and quantity.");
        }

        if ((request.Timing ?? ChangeTiming.Now) == ChangeTiming.PeriodEnd)
        {
            return new ChangeOutcome(current with { PendingChange = target, UpdatedAt = now }, [], false);
        }

        if (now >= current.CurrentPeriodEnd)
        {
            // A change now would reach into a period that ended unbilled (its usage billed twice): it waits for its invoice.
            return new ApiError("period_not_billed", StatusCodes.Status409Conflict,
                $"Subscription {current.Id}'s period ended at {current.CurrentPeriodEnd:O} and waits for its invoice (Billing:InvoiceGrace); it can change now once that is billed, or at the period's end.");
        }

        var after = current with
        {
            Plan = target.Plan, PlanVersion = target.PlanVersion, Interval = interval, Quantity = quantity, UnitAmount = unitAmount,
            PendingChange = null, UpdatedAt = now,
        };
        if (current.Status == SubscriptionStatus.Trialing) return new ChangeOutcome(after, [], false);

        var prorate = (request.Proration ?? ProrationBehavior.NextInvoice) != ProrationBehavior.None;
        if (interval == current.Interval)
        {
            List<InvoiceLine> lines = prorate
                ? [.. Proration.For(current.FullPeriod, at, current.UnitAmount, current.Quantity, unitAmount, quantity, current.Plan, target.Plan).Select(SubscriptionInvoices.ProrationLine)]
                : [];
            if (prorate && (after.Plan != current.Plan || after.PlanVersion != current.PlanVersion))
            {
                lines.AddRange(SubscriptionInvoices.AdvanceProrations(current, currentCharges, at, ProrationKind.UnusedTime));
                lines.AddRange(SubscriptionInvoices.AdvanceProrations(after, version.Charges, at, ProrationKind.RemainingTime));
            }

            return new ChangeOutcome(after, lines, request.Proration == ProrationBehavior.InvoiceNow);
        }

        var period = BillingPeriod.Numbered(at, interval, 0);
        after = after.InPeriod(period) with { BillingAnchor = at };
        List<InvoiceLine> billed = prorate ? [.. SubscriptionInvoices.UnusedTime(current, currentCharges, at)] : [];
        if (after.PeriodAmount > 0) billed.Add(SubscriptionInvoices.PeriodLine(after, period));
        billed.AddRange(SubscriptionInvoices.AdvanceLines(after, period, version.Charges));
        return new ChangeOutcome(after, billed, true);
    }
}
