namespace Tollgate.Gateway.Usage;

/// <summary>A place in the usage journal: a segment file and a byte offset in it. Later places compare greater.</summary>
public readonly record struct JournalPosition(long Segment, long Offset) : IComparable<JournalPosition>
{
    public int CompareTo(JournalPosition other) => Segment != other.Segment ? Segment.CompareTo(other.Segment) : Offset.CompareTo(other.Offset);

    public static bool operator <(JournalPosition a, JournalPosition b) => a.CompareTo(b) < 0;

    public static bool operator >(JournalPosition a, JournalPosition b) => a.CompareTo(b) > 0;

    public static bool operator <=(JournalPosition a, JournalPosition b) => a.CompareTo(b) <= 0;

    public static bool operator >=(JournalPosition a, JournalPosition b) => a.CompareTo(b) >= 0;
}
