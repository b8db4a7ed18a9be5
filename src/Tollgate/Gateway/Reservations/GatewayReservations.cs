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
            if (!await ledger.TryReserveAsync(reservation.Key, reservation.Limit, reservation.Amount, reservation.BaselineAsync, ct))
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

    /// <summary>Headers telling the client how much room is left, from the tightest reservation of each kind.</summary>
    public void WriteHeaders(IReadOnlyList<Reservation> held, IHeaderDictionary headers)
    {
        if (held.Count == 0) return;
        var now = time.GetUtcNow();
        foreach (var group in held.GroupBy(r => r.HeaderGroup))
        {
            var tightest = group.Select(r => (Reservation: r, Remaining: ledger.Remaining(r.Key, r.Limit))).MinBy(r => r.Remaining);
            tightest.Reservation.WriteHeaders(headers, tightest.Remaining, now);
        }
    }

    void Release(List<Reservation> held)
    {
        foreach (var reservation in held) ledger.Settle(reservation.Key, reservation.Amount, 0);
        held.Clear();
    }
}
