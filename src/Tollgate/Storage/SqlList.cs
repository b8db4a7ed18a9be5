using System.Text.Json;

namespace Tollgate.Storage;

/// <summary>
/// A list of values passed to SQL as one parameter: an array on PostgreSQL (<c>= ANY(@p)</c>), one JSON array text on
/// SQLite read by <c>json_each</c> (<c>IN (SELECT value FROM json_each(@p))</c>). Dapper's expansion of a list into a
/// parameter per value costs SQLite a statement of hundreds of parameters, prepared anew for each length; the invoice
/// run's lookups of 500 ids at a time spent more on that than on the lookups.
/// </summary>
public static class SqlList
{
    /// <summary>The condition "is one of the list <paramref name="parameter"/>", to follow a column.</summary>
    public static string AnyOf(DatabaseKind kind, string parameter) =>
        kind == DatabaseKind.Postgres ? $"= ANY(@{parameter})" : $"IN (SELECT value FROM json_each(@{parameter}))";

    /// <summary>The parameter's value for <see cref="AnyOf"/>: the values as an array, or as JSON text.</summary>
    public static object Of<T>(DatabaseKind kind, IEnumerable<T> values) =>
        kind == DatabaseKind.Postgres ? values.ToArray() : JsonSerializer.Serialize(values as IReadOnlyCollection<T> ?? [.. values]);
}
