namespace Tollgate.Storage;

/// <summary>Where Tollgate keeps its data.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>
    /// A SQLite connection string (<c>Data Source=data/tollgate.db</c>), an Npgsql connection string
    /// (<c>Host=…;Database=…</c>) or a <c>postgres://user:pass@host:port/db</c> URL.
    /// Empty means the default SQLite file <c>data/tollgate.db</c>.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending migrations when the server starts (the <c>migrate</c> verb does it on demand).</summary>
    public bool MigrateOnStart { get; set; } = true;
}
