using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// What a process allocated, by type, from a trace taken with `dotnet-trace collect --profile gc-verbose`: the runtime
// samples an allocation about every 100 KB (GCAllocationTick), so the shares are estimates, good to a percent or so
// over a few seconds of load. Usage: AllocationReport <file.nettrace> [rows, default 30]
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("Usage: AllocationReport <file.nettrace> [rows]");
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
