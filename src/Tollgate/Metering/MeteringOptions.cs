namespace Tollgate.Metering;

/// <summary>The <c>Metering</c> configuration section.</summary>
public sealed class MeteringOptions
{
    public const string Section = "Metering";

    /// <summary>How old an event may be and still be counted, in its own period. Older ones are refused as <c>event_too_old</c>.</summary>
    public int LateEventDays { get; set; } = 35;

    /// <summary>How far ahead of this server's clock an event may be stamped (clock skew). Later ones are refused as <c>event_in_future</c>.</summary>
    public int FutureToleranceSeconds { get; set; } = 300;

    /// <summary>
    /// How many groups of events commit at once on PostgreSQL, each on its own connection; more hide each commit's
    /// wait for the disk, up to the cores the database has. SQLite has one writer whatever this says.
    /// </summary>
    public int PostgresWriters { get; set; } = 3;

    public const int MaxBatch = 1000;
    public const int MaxProperties = 64;
    public const int MaxPropertiesBytes = 16 * 1024;
}
