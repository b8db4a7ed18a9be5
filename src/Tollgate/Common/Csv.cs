using System.Globalization;
using System.Text;

namespace Tollgate.Common;

/// <summary>
/// RFC 4180 CSV lines, for every list the API also answers as CSV (<c>format=csv</c>). A cell that a spreadsheet would
/// run as a formula (starting with =, +, -, @, tab or CR, and not a number) is prefixed with a quote.
/// </summary>
public static class Csv
{
    public static void Line(StringBuilder csv, IReadOnlyList<string?> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) csv.Append(',');
            csv.Append(Cell(cells[i]));
        }

        csv.Append("\r\n");
    }

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Decimal(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    /// <summary>Why <paramref name="format"/> is not one a list answers in (json, the default, or csv); null when it is.</summary>
    public static ApiError? FormatProblem(string? format) => format is null or "json" or "csv" ? null : ApiError.Invalid("format", "must be json or csv.");

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
