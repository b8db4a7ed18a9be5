using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// What a process allocated, by type, from a trace taken with `dotnet-trace collect --profile gc-verbose`: the runtime
// samples an allocation about every 100 KB (GCAllocationTick), so the shares are estimates, good to a percent or so
// over a few seconds of load. With --pauses, every time the runtime suspended the process (for a collection or
// anything else), when (UTC) and for how long, to set beside slow answers (latency.py's SLOW=ms).
// Usage: AllocationReport <file.nettrace> [rows, default 30] | AllocationReport --pauses <file.nettrace>
if (args is ["--pauses", var trace])
{
    using var pauses = new EventPipeEventSource(trace);
    var suspended = new Dictionary<int, (DateTime At, string Reason)>();
    var generation = -1;
    pauses.Clr.GCStart += e => generation = e.Depth;
    pauses.Clr.GCSuspendEEStart += e => suspended[e.ProcessID] = (e.TimeStamp.ToUniversalTime(), e.Reason.ToString());
    pauses.Clr.GCRestartEEStop += e =>
    {
        if (!suspended.Remove(e.ProcessID, out var start)) return;
        var ms = (e.TimeStamp.ToUniversalTime() - start.At).TotalMilliseconds;
        Console.WriteLine($"{start.At:HH:mm:ss.fff}  {ms,8:F3} ms  {start.Reason}{(generation >= 0 ? $" gen{generation}" : "")}");
        generation = -1;
    };
    pauses.Process();
    return 0;
}

if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("Usage: AllocationReport <file.nettrace> [rows] | AllocationReport --pauses <file.nettrace>");
    return 2;
}

var rows = args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30;
var byType = new Dictionary<string, long>(StringComparer.Ordinal);
long total = 0;
using (var source = new EventPipeEventSource(args[0]))
{
    source.Clr.GCAllocationTick += (GCAllocationTickTraceData e) =>
    {
        var type = e.TypeName ?? "?";
        byType[type] = byType.GetValueOrDefault(type) + e.AllocationAmount64;
        total += e.AllocationAmount64;
    };
    source.Process();
}

Console.WriteLine($"sampled {total / 1024:N0} KB");
foreach (var (type, bytes) in byType.OrderByDescending(t => t.Value).Take(rows))
{
    Console.WriteLine($"{bytes * 100.0 / Math.Max(1, total),6:F1}%  {bytes / 1024,9:N0} KB  {type}");
}

return 0;
