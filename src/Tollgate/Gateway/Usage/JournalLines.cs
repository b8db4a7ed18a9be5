namespace Tollgate.Gateway.Usage;

/// <summary>Splits journal bytes into records, line by line.</summary>
public static class JournalLines
{
    /// <summary>
    /// Reads whole lines from the start of <paramref name="data"/> until <paramref name="max"/> records are taken or
    /// no whole line is left; returns how many bytes it went through. A whole line that is not a record (damaged on
    /// disk) is passed over and counted in <paramref name="damaged"/>; bytes after the last <c>\n</c> are left alone.
    /// </summary>
    public static int Read(ReadOnlySpan<byte> data, int max, List<UsageRecord> into, ref int damaged)
    {
        var consumed = 0;
        var taken = 0;
        while (taken < max)
        {
            var newline = data[consumed..].IndexOf((byte)'\n');
            if (newline < 0) break;
            var line = data.Slice(consumed, newline);
            consumed += newline + 1;
            if (line.IsEmpty || line.IndexOfAnyExcept((byte)0) < 0) continue; // zeros a power cut left in an unsynced tail
            if (UsageJournalFormat.Read(line) is { } record)
            {
                into.Add(record);
                taken++;
            }
            else
            {
                damaged++;
            }
        }

        return consumed;
    }
}
