namespace Tollgate.Gateway.Usage;

/// <summary>
/// The <c>Gateway:Journal</c> section: the node-local file every gateway request's usage record is appended to before
/// its answer completes, and drained into the database from there.
/// </summary>
public sealed class UsageJournalOptions
{
    public const string Section = "Gateway:Journal";

    /// <summary>
    /// The folder of this node's journal; by default <c>journal/</c> beside the SQLite file, or <c>data/journal/</c> for
    /// PostgreSQL. Each node needs its own (it is locked while a node uses it) on a disk that outlives the process.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// How often appended records are forced to the disk (<c>fsync</c>). A killed process loses nothing either way; a
    /// power cut or kernel crash can lose what was appended within this time.
    /// </summary>
    public TimeSpan FsyncInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// When true, every answer waits until its record has been forced to the disk, by one <c>fsync</c> shared by all
    /// requests waiting at that moment: a power cut loses nothing, at the cost of the disk's flush time per request.
    /// </summary>
    public bool FsyncBeforeAnswer { get; set; }

    /// <summary>A segment file is closed and a new one begun past this size; drained segments are deleted.</summary>
    public long SegmentBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Past this much undrained usage (the database away for long), health turns degraded.</summary>
    public long WarnBacklogBytes { get; set; } = 256L * 1024 * 1024;
}
