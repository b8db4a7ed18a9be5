using Tollgate.Billing;
using Tollgate.Billing.Coupons;
using Tollgate.Billing.Subscriptions;
using Tollgate.Catalog;

namespace Tollgate.Analytics.Mrr;

/// <summary>A subscription as one of its changes left it, from <see cref="At"/> (the time on its customer's clock).</summary>
public sealed record MrrSnapshot(string MessageId, DateTimeOffset At, Subscription Subscription);

/// <summary>One step of a customer's MRR in one currency: from <see cref="At"/> on, <see cref="MrrAfter"/> in minor units a month.</summary>
public sealed record MrrMovement(string CustomerId, string Currency, DateTimeOffset At, MovementKind Kind, long MrrBefore, long MrrAfter)
{
    /// <summary>What the movement adds to MRR (negative for contraction and churn).</summary>
    public long Amount => checked(MrrAfter - MrrBefore);
}

public enum MovementKind
{
    New,
    Expansion,
    Contraction,
    Churn,
    Reactivation,
}

/// <summary>
/// Tollgate's one definition of MRR (docs/analytics.md). A subscription's MRR is its recurring amount (price per unit ×
/// quantity) normalised to a month (a year's price ÷ 12), after a discount while it applies (percent or amount off a
/// period; a <c>once</c> coupon is a one-time discount and leaves MRR alone), before tax, rounded once here to a whole
/// minor unit, half away from zero (<see cref="MinorUnits"/>). It counts while the subscription is <c>active</c> or
/// <c>past_due</c> (until the dunning gives up and it ends, or for <c>Analytics:PastDueCountsFor</c> when set); trials, <c>incomplete</c>, <c>paused</c> and ended
/// subscriptions count 0, so do free plans; metered usage and one-time charges are never MRR. A customer's MRR is the
/// sum of its subscriptions' in one currency, and every change of it is one movement: from 0 to more, <c>new</c> the
/// first time and <c>reactivation</c> after; to 0, <c>churn</c>; up, <c>expansion</c>; down, <c>contraction</c>.
/// A cancellation at the period's end moves nothing until it takes effect.
/// </summary>
public static class MrrRules
{
    /// <summary>The MRR of <paramref name="subscription"/> at <paramref name="at"/>, in minor units of its currency.</summary>
    public static long Of(Subscription subscription, DateTimeOffset at)
    {
        if (subscription.Status is not (SubscriptionStatus.Active or SubscriptionStatus.PastDue)) return 0;
        decimal period = subscription.PeriodAmount;
        if (subscription.Discount is { } discount && Recurring(discount) && discount.AppliesAt(at))
        {
            if (discount.PercentOff is { } percent) period -= period * percent / 100;
            if (discount.AmountOff is { } off) period -= Math.Min(period, off);
        }

        return MinorUnits.Round(subscription.Interval == BillingInterval.Year ? period / 12 : period);
    }

    static bool Recurring(AppliedCoupon discount) => discount.Duration is CouponDuration.Repeating or CouponDuration.Forever;

    /// <summary>
    /// One subscription's MRR over time from its snapshots: a step at each snapshot, one where a repeating discount
    /// ends before the next snapshot (an expansion when it does), and, with <paramref name="pastDueCountsFor"/> set, one
    /// to 0 once the subscription has been past due that long without a snapshot ending it first.
    /// </summary>
    public static IEnumerable<(DateTimeOffset At, long Mrr)> Steps(IReadOnlyList<MrrSnapshot> snapshots, TimeSpan? pastDueCountsFor = null)
    {
        DateTimeOffset? pastDueSince = null;
        for (var i = 0; i < snapshots.Count; i++)
        {
            var (at, subscription) = (snapshots[i].At, snapshots[i].Subscription);
            pastDueSince = subscription.Status == SubscriptionStatus.PastDue ? pastDueSince ?? at : null;
            var cutOff = pastDueSince is { } since && pastDueCountsFor is { } limit ? since + limit : (DateTimeOffset?)null;
            yield return (at, cutOff <= at ? 0 : Of(subscription, at));
            var next = i + 1 < snapshots.Count ? snapshots[i + 1].At : DateTimeOffset.MaxValue;
            if (subscription.Discount is { Duration: CouponDuration.Repeating, EndsAt: { } ends } && ends > at && ends < next && !(cutOff <= ends))
                yield return (ends, Of(subscription, ends));
            if (cutOff is { } off && off > at && off < next) yield return (off, 0);
        }
    }

    /// <summary>
    /// A customer's movements, per currency, from the snapshots of all its subscriptions (in any order): the sum of
    /// its subscriptions' MRR at every instant one of them changes, and a movement wherever the sum does.
    /// </summary>
    public static IReadOnlyList<MrrMovement> Movements(string customerId, IEnumerable<MrrSnapshot> snapshots, TimeSpan? pastDueCountsFor = null)
    {
        var movements = new List<MrrMovement>();
        foreach (var currency in snapshots.GroupBy(s => s.Subscription.Currency, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // Each subscription's steps, merged in time: at each instant, the new total of every subscription's latest step.
            var steps = currency.GroupBy(s => s.Subscription.Id, StringComparer.Ordinal)
                .SelectMany(sub => Steps([.. sub.OrderBy(s => s.At).ThenBy(s => s.MessageId, StringComparer.Ordinal)], pastDueCountsFor).Select(step => (Subscription: sub.Key, step.At, step.Mrr)))
                .GroupBy(s => s.At)
                .OrderBy(g => g.Key);
            var current = new Dictionary<string, long>(StringComparer.Ordinal);
            long total = 0;
            var everPaid = false;
            foreach (var instant in steps)
            {
                foreach (var step in instant) current[step.Subscription] = step.Mrr; // the last of one subscription's steps at one instant wins
                var next = current.Values.Aggregate(0L, (sum, mrr) => checked(sum + mrr));
                if (next == total) continue;
                movements.Add(new MrrMovement(customerId, currency.Key, instant.Key, KindOf(total, next, everPaid), total, next));
                everPaid |= next > 0;
                total = next;
            }
        }

        return movements;
    }

    /// <summary>What a customer's MRR going from <paramref name="before"/> to <paramref name="after"/> (not equal) is, given whether it ever paid before.</summary>
    public static MovementKind KindOf(long before, long after, bool everPaid) =>
        before == 0 ? everPaid ? MovementKind.Reactivation : MovementKind.New
        : after == 0 ? MovementKind.Churn
        : after > before ? MovementKind.Expansion : MovementKind.Contraction;
}
