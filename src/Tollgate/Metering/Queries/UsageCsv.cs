using System.Globalization;
using System.Text;

namespace Tollgate.Metering.Queries;

/// <summary>
/// Usage rows as RFC 4180 CSV: a header of the group names, <c>start</c> when grouped by time, and <c>value</c>.
/// A cell that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is prefixed with a quote.
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

    static void Line(StringBuilder csv, IReadOnlyList<string?> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) csv.Append(',');
            csv.Append(Cell(cells[i]));
        }

        csv.Append("\r\n");
    }

    static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
