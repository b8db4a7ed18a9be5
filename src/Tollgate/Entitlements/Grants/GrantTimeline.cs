using Tollgate.Metering.Queries;

namespace Tollgate.Entitlements.Grants;

/// <summary>What every grant has left, and what grants add to the period in progress.</summary>
public sealed record GrantAllocation(IReadOnlyDictionary<string, decimal> Remaining, GrantCapacity Capacity)
{
    public static readonly GrantAllocation None = new(new Dictionary<string, decimal>(), GrantCapacity.None);
}

/// <summary>
/// What grants add to a quota's period in progress: <see cref="Granted"/>, what they have given in it and what those
/// in effect have left; and <see cref="Uncovered"/>, usage beyond the allowance that no grant in effect at the time
/// could cover (over a soft quota, say). That usage used up nothing a later grant gives, so the period's limit grows
/// by both (<see cref="Raise"/>): then the limit less the usage is exactly the allowance left plus what grants have left.
/// </summary>
public readonly record struct GrantCapacity(long Granted, long Uncovered)
{
    public static readonly GrantCapacity None = new(0, 0);

    public long Raise => Granted + Uncovered;
}

/// <summary>
/// Draws usage from grants, no I/O. Time is cut into segments at every period start and wherever a grant starts or
/// ends. In each segment the usage goes first to what is left of the period's plan allowance, then to the grants in
/// effect over the whole segment, the one ending first first (never-ending ones last, then oldest first). Usage beyond
/// the allowance and every grant is overage; it draws from no later grant.
/// </summary>
public static class GrantTimeline
{
    /// <summary>
    /// The times usage must be totalled between, oldest first, ending where the period in progress ends (events may
    /// be stamped a little ahead of this clock, and one stamped now must count); empty when no grant bears on the
    /// period in progress. Grants that ended before the earliest grant bearing on it, and overlap none of those, are
    /// left out: they never shared a unit of usage with them. With <paramref name="all"/>, every grant that has
    /// started counts, for a full account of each.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> Cuts(IReadOnlyList<Grant> grants, Func<DateTimeOffset, Period> periodOf, DateTimeOffset now, bool all = false)
    {
        var current = periodOf(now);
        var started = grants.Where(g => g.EffectiveAt <= now && (g.EndsAt is not { } end || end > g.EffectiveAt)).ToList();
        DateTimeOffset? from = null;
        foreach (var grant in started)
        {
            if (all || grant.Overlaps(current.Start, current.End)) from = Min(from, grant.EffectiveAt);
        }

        if (from is null) return [];
        // Widen to every grant that shared time with one already in, until none is added.
        for (var widened = true; widened;)
        {
            widened = false;
            foreach (var grant in started)
            {
                if (grant.EffectiveAt < from && grant.Overlaps(from.Value, current.End))
                {
                    from = grant.EffectiveAt;
                    widened = true;
                }
            }
        }

        var start = periodOf(from.Value).Start;
        var cuts = new SortedSet<DateTimeOffset> { start, current.End };
        for (var period = periodOf(start); period.End < current.End; period = periodOf(period.End)) cuts.Add(period.End);
        foreach (var grant in started)
        {
            if (grant.EffectiveAt > start) cuts.Add(grant.EffectiveAt);
            if (grant.EndsAt is { } end && end > start && end < current.End) cuts.Add(end);
        }

        return [.. cuts];
    }

    /// <summary>
    /// Draws the usage of each segment (<paramref name="usage"/>[i] between <paramref name="cuts"/>[i] and [i+1])
    /// from each period's allowance (<paramref name="allowanceOf"/>: the plan's limit, or its share when the plan changed
    /// in the period) and then the grants; see <see cref="GrantCapacity"/> for what that adds to the period in progress.
    /// </summary>
    public static GrantAllocation Allocate(Func<Period, long> allowanceOf, IReadOnlyList<Grant> grants, Func<DateTimeOffset, Period> periodOf,
        IReadOnlyList<DateTimeOffset> cuts, IReadOnlyList<decimal> usage, DateTimeOffset now)
    {
        if (usage.Count != Math.Max(0, cuts.Count - 1)) throw new ArgumentException("One usage total is needed per segment.", nameof(usage));

        // By expiry, not by when a grant ended: voiding one later must not change what was drawn from which before.
        var order = grants.OrderBy(g => g.ExpiresAt ?? DateTimeOffset.MaxValue).ThenBy(g => g.EffectiveAt).ThenBy(g => g.Id, StringComparer.Ordinal).ToList();
        var remaining = order.ToDictionary(g => g.Id, g => (decimal)g.Amount, StringComparer.Ordinal);
        var current = periodOf(now);
        var givenNow = 0m;
        var uncoveredNow = 0m;
        var allowanceLeft = 0m;
        for (var i = 0; i < usage.Count; i++)
        {
            var (from, to) = (cuts[i], cuts[i + 1]);
            if (i == 0 || periodOf(from).Start == from) allowanceLeft = allowanceOf(periodOf(from));
            var fromAllowance = Math.Min(allowanceLeft, Math.Max(0, usage[i]));
            allowanceLeft -= fromAllowance;
            var beyond = Math.Max(0, usage[i]) - fromAllowance;
            foreach (var grant in order)
            {
                if (beyond == 0) break;
                if (grant.EffectiveAt > from || grant.EndsAt is { } end && end < to) continue;
                var drawn = Math.Min(beyond, remaining[grant.Id]);
                remaining[grant.Id] -= drawn;
                beyond -= drawn;
                if (from >= current.Start) givenNow += drawn;
            }

            if (from >= current.Start) uncoveredNow += beyond;
        }

        var left = order.Where(g => g.ActiveAt(now)).Sum(g => remaining[g.Id]);
        return new GrantAllocation(remaining, new GrantCapacity((long)Math.Floor(givenNow + left), (long)Math.Ceiling(uncoveredNow)));
    }

    static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
