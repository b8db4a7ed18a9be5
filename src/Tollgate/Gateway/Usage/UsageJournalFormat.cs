using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// How a usage record is kept in the journal: one line of JSON ended by <c>\n</c> (JSON escapes every newline inside
/// strings, so a line is a record). A line cut short by a crash has no <c>\n</c> and is never read as a record.
/// </summary>
public static class UsageJournalFormat
{
    [ThreadStatic] static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] static Utf8JsonWriter? t_writer;

    /// <summary>The record's line, valid until the next call on this thread.</summary>
    public static ReadOnlySpan<byte> Line(UsageRecord record)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, record, UsageJournalJson.Default.UsageRecord);
        writer.Flush();
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
        if (buffer.Capacity > 64 * 1024) t_buffer = null; // a rare huge record does not keep its buffer
        return buffer.WrittenSpan;
    }

    /// <summary>The record of one line (without its <c>\n</c>), or null when the line is not one (torn or damaged).</summary>
    public static UsageRecord? Read(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, UsageJournalJson.Default.UsageRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(UsageRecord))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
partial class UsageJournalJson : JsonSerializerContext;
