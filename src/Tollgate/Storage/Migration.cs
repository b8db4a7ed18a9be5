namespace Tollgate.Storage;

/// <summary>
/// One versioned schema change. The SQL is written once with type tokens ({ts}, {bool}, {bigint}, {json})
/// that become the matching column type on each database, so both get the same schema. A change only one database
/// needs names it in <paramref name="Only"/>; the other records the version and runs nothing.
/// </summary>
public sealed record Migration(int Version, string Name, string Sql, DatabaseKind? Only = null)
{
    public string For(DatabaseKind kind) => Only is { } only && only != kind ? "SELECT 1" : kind switch
    {
        DatabaseKind.Postgres => Sql
            .Replace("{ts}", "timestamptz", StringComparison.Ordinal)
            .Replace("{bool}", "boolean", StringComparison.Ordinal)
            .Replace("{bigint}", "bigint", StringComparison.Ordinal)
            .Replace("{json}", "text", StringComparison.Ordinal),
        _ => Sql
            .Replace("{ts}", "TEXT", StringComparison.Ordinal)
            .Replace("{bool}", "INTEGER", StringComparison.Ordinal)
            .Replace("{bigint}", "INTEGER", StringComparison.Ordinal)
            .Replace("{json}", "TEXT", StringComparison.Ordinal),
    };
}
