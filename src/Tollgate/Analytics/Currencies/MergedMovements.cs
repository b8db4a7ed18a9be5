using Tollgate.Analytics.Mrr;

namespace Tollgate.Analytics.Currencies;

/// <summary>A customer's MRR in one currency just before a time, and whether it had any movement in it before then.</summary>
public sealed record CurrencyStanding(string CustomerId, string Currency, long Mrr);

/// <summary>Every customer's MRR as one figure in the reporting currency at a start, and the movements of that figure after it.</summary>
public sealed record MergedMovementsResult(IReadOnlyDictionary<string, long> Start, IReadOnlyList<MrrMovement> Movements);

/// <summary>
/// The movements of every currency as one customer-level series in the reporting currency, for the rates and cohorts
/// in it: each customer's MRR is the sum of its MRR in every currency, each converted by <c>convert</c> (one fixed
/// rate per currency, so that a rate's move is never taken for churn or expansion), and each change of that sum is one
/// movement, classified as <see cref="MrrRules.KindOf"/> classifies one currency's: a customer paying in two currencies
/// who stops paying in one contracts, and counts once.
/// </summary>
public static class MergedMovements
{
    /// <param name="before">Every customer's MRR in each currency it ever had a movement in, just before the first of <paramref name="movements"/> (0 for a currency it left).</param>
    /// <param name="movements">Movements in any currencies, oldest first.</param>
    /// <param name="reporting">The currency of the result.</param>
    /// <param name="convert">Minor units of a currency in minor units of <paramref name="reporting"/>.</param>
    public static MergedMovementsResult Of(
        IEnumerable<CurrencyStanding> before, IReadOnlyList<MrrMovement> movements, string reporting, Func<string, long, long> convert)
    {
        var customers = new Dictionary<string, CustomerState>(StringComparer.Ordinal);
        foreach (var s in before)
        {
            var state = StateOf(customers, s.CustomerId);
            state.ByCurrency[s.Currency] = s.Mrr;
            state.EverPaid = true; // a movement before means it paid once: the first one is always new
        }

        var start = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (id, state) in customers)
        {
            state.Total = Total(state, convert);
            if (state.Total > 0) start[id] = state.Total;
        }

        var merged = new List<MrrMovement>();
        for (var i = 0; i < movements.Count;)
        {
            // One instant at a time, so that a customer's movements in two currencies at one instant make one movement.
            var at = movements[i].At;
            var touched = new List<CustomerState>();
            for (; i < movements.Count && movements[i].At == at; i++)
            {
                var state = StateOf(customers, movements[i].CustomerId);
                if (!state.Touched) touched.Add(state);
                state.Touched = true;
                state.ByCurrency[movements[i].Currency] = movements[i].MrrAfter;
            }

            foreach (var state in touched)
            {
                state.Touched = false;
                var next = Total(state, convert);
                if (next == state.Total) continue;
                merged.Add(new MrrMovement(state.Id, reporting, at, MrrRules.KindOf(state.Total, next, state.EverPaid), state.Total, next));
                state.EverPaid |= next > 0;
                state.Total = next;
            }
        }

        return new MergedMovementsResult(start, merged);
    }

    static CustomerState StateOf(Dictionary<string, CustomerState> customers, string id)
    {
        if (!customers.TryGetValue(id, out var state)) customers[id] = state = new CustomerState(id);
        return state;
    }

    static long Total(CustomerState state, Func<string, long, long> convert)
    {
        long total = 0;
        foreach (var (currency, mrr) in state.ByCurrency) total = checked(total + convert(currency, mrr));
        return total;
    }

    sealed class CustomerState(string id)
    {
        public string Id { get; } = id;
        public Dictionary<string, long> ByCurrency { get; } = new(StringComparer.Ordinal);
        public long Total { get; set; }
        public bool EverPaid { get; set; }
        public bool Touched { get; set; }
    }
}
