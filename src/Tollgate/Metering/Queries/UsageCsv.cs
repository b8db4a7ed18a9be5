using System.Globalization;
using System.Text;

namespace Tollgate.Metering.Queries;

/// <summary>
/// Usage rows as CSV (<see cref="Common.Csv"/>): a header of the group names, <c>start</c> when grouped by time, and <c>value</c>.
/// </summary>
public static class UsageCsv
{
    public static string Write(IReadOnlyList<string> groupBy, bool withStart, IReadOnlyList<UsageRow> rows)
    {
        var csv = new StringBuilder();
        Line(csv, [.. groupBy, .. withStart ? new[] { "start" } : [], "value"]);
        foreach (var row in rows)
        {
            Line(csv, [
                .. row.Group,
                .. withStart ? new[] { row.Start?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) } : [],
                row.Value?.ToString(CultureInfo.InvariantCulture)]);
        }

        return csv.ToString();
    }

    static void Line(StringBuilder csv, IReadOnlyList<string?> cells) => Common.Csv.Line(csv, cells);
}
