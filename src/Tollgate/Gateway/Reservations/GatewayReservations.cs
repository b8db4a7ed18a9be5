using Tollgate.Counters;
using Tollgate.Gateway.Protocols;
using Tollgate.Gateway.Usage;

namespace Tollgate.Gateway.Reservations;

/// <summary>
/// Holds, for one request, every reservation it must make (hard quotas, rate limits, budgets), all or none. A refused
/// reservation gives back the ones already taken; when the request ends each settles to what the request counted.
/// A hard limit is never passed by concurrent requests: a unit is reserved once, on one node, from a lease the
/// database handed out once.
/// </summary>
public sealed class GatewayReservations(CounterLedger ledger, TimeProvider time)
{
    /// <summary>Reserves each in turn; on a refusal returns the error (its headers written) and holds nothing.</summary>
    public async ValueTask<GatewayError?> ReserveAsync(IReadOnlyList<Reservation> wanted, List<Reservation> held, IHeaderDictionary headers, CancellationToken ct)
    {
        foreach (var reservation in wanted)
        {
            if (reservation.Amount <= 0) continue;
            if (!await ledger.TryReserveAsync(reservation.Key, reservation.Limit, reservation.Amount, static (r, c) => r.BaselineAsync(c), reservation, ct))
            {
                Release(held);
                var now = time.GetUtcNow();
                reservation.WriteHeaders(headers, 0, now);
                return reservation.Refusal(now);
            }

            held.Add(reservation);
        }

        return null;
    }

    /// <summary>Each held reservation settles to what <paramref name="record"/> counts.</summary>
    public void Settle(List<Reservation> held, UsageRecord record)
    {
        if (held.Count == 0) return;
        var settled = new Settlement(record);
        foreach (var reservation in held)
        {
            ledger.Settle(reservation.Key, reservation.Amount, settled.Ran ? reservation.Counted(settled) : 0);
        }

        held.Clear();
    }

    /// <summary>Headers telling the client how much room is left, from the tightest reservation of each kind (the first, on a tie).</summary>
    public void WriteHeaders(IReadOnlyList<Reservation> held, IHeaderDictionary headers)
    {
        if (held.Count == 0) return;
        var now = time.GetUtcNow();
        for (var i = 0; i < held.Count; i++)
        {
            var group = held[i].HeaderGroup;
            if (GroupSeenBefore(held, i, group)) continue;
            var (tightest, remaining) = (held[i], ledger.Remaining(held[i].Key, held[i].Limit));
            for (var j = i + 1; j < held.Count; j++)
            {
                if (held[j].HeaderGroup != group) continue;
                var left = ledger.Remaining(held[j].Key, held[j].Limit);
                if (left < remaining) (tightest, remaining) = (held[j], left);
            }

            tightest.WriteHeaders(headers, remaining, now);
        }
    }

    static bool GroupSeenBefore(IReadOnlyList<Reservation> held, int index, string group)
    {
        for (var i = 0; i < index; i++)
        {
            if (held[i].HeaderGroup == group) return true;
        }

        return false;
    }

    void Release(List<Reservation> held)
    {
        foreach (var reservation in held) ledger.Settle(reservation.Key, reservation.Amount, 0);
        held.Clear();
    }
}
