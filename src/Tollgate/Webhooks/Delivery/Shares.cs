namespace Tollgate.Webhooks.Delivery;

/// <summary>
/// How many more attempts a node may start: in all (<see cref="Room"/>), and to each endpoint its share
/// (<see cref="WebhookOptions.ConcurrencyPerEndpoint"/>) less what it has in flight. An endpoint left with less than
/// <see cref="Least"/> of its share free counts as <see cref="Full"/> until more of its attempts end, so that a saturated
/// endpoint is claimed for in handfuls, not one delivery per answer; one that is not may be filled to its whole share.
/// Pure: each claim takes from its own copy.
/// </summary>
public sealed class Shares
{
    readonly Dictionary<string, int> _inFlight;
    readonly HashSet<string> _full;

    public Shares(int room, int perEndpoint, IEnumerable<KeyValuePair<string, int>> inFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perEndpoint, 1);
        Room = Math.Max(0, room);
        PerEndpoint = perEndpoint;
        Least = Math.Max(1, perEndpoint / 4);
        _inFlight = inFlight.Where(e => e.Value > 0).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        _full = _inFlight.Where(e => perEndpoint - e.Value < Least).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
    }

    Shares(Shares from)
    {
        (Room, PerEndpoint, Least) = (from.Room, from.PerEndpoint, from.Least);
        _inFlight = new(from._inFlight, StringComparer.Ordinal);
        _full = from._full;
    }

    /// <summary>Attempts that may start in all.</summary>
    public int Room { get; private set; }

    public int PerEndpoint { get; }

    /// <summary>The least part of its share an endpoint must have free to be claimed for.</summary>
    public int Least { get; }

    /// <summary>How many more attempts may start to <paramref name="endpointId"/>: none while it is <see cref="Full"/>.</summary>
    public int Left(string endpointId) => _full.Contains(endpointId) ? 0 : Math.Max(0, PerEndpoint - _inFlight.GetValueOrDefault(endpointId));

    /// <summary>Endpoints nothing more may start to.</summary>
    public IReadOnlyCollection<string> Full => _full;

    /// <summary>Endpoints with attempts in flight that may take some more (not a whole share), by how many.</summary>
    public IEnumerable<IGrouping<int, string>> Partial =>
        _inFlight.Keys.Select(id => (Id: id, Left: Left(id))).Where(e => e.Left > 0 && e.Left < PerEndpoint).GroupBy(e => e.Left, e => e.Id);

    /// <summary>Takes one attempt to <paramref name="endpointId"/>, if there is room for it.</summary>
    public bool TryTake(string endpointId)
    {
        if (Room == 0 || Left(endpointId) == 0) return false;
        Room--;
        _inFlight[endpointId] = _inFlight.GetValueOrDefault(endpointId) + 1;
        return true;
    }

    public Shares Copy() => new(this);
}
