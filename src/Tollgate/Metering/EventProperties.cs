using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Tollgate.Common;

namespace Tollgate.Metering;

/// <summary>
/// The properties of a usage event: a flat JSON object of names to strings, numbers, booleans or null, held as its
/// compact JSON text, which is what is stored and what is sent back. Read from a request by
/// <see cref="EventPropertiesConverter"/>, which checks the object as it copies it, so a batch of a thousand events
/// builds no JSON trees; what is wrong with an event's properties becomes that event's rejection, not the batch's.
/// </summary>
[JsonConverter(typeof(EventPropertiesConverter))]
public sealed class EventProperties
{
    public static readonly EventProperties Empty = new("{}");

    EventProperties(string json, string? problem = null, IReadOnlyList<string>? negative = null)
    {
        Json = json;
        Problem = problem;
        Negative = negative ?? [];
    }

    /// <summary>The object as compact JSON, escaped as the API writes it.</summary>
    public string Json { get; }

    /// <summary>Why the event cannot be stored with these properties (too many, too big, a nested value, a bad or repeated name); null when it can.</summary>
    public string? Problem { get; }

    /// <summary>The names of properties holding a number below zero, as sent; empty for nearly every event.</summary>
    public IReadOnlyList<string> Negative { get; }

    public static EventProperties From(JsonObject properties) => new(properties.ToJsonString(ApiJson.Options));

    /// <summary>Properties as stored: checked when they were sent.</summary>
    public static EventProperties Stored(string json) => new(json);

    internal static EventProperties Read(string json, string? problem, IReadOnlyList<string>? negative) => new(json, problem, negative);

    public override string ToString() => Json;
}

/// <summary>
/// Copies a sent properties object token by token into compact JSON (numbers keep their text, strings are escaped as
/// the API escapes them), noting the first thing wrong with it. Anything but an object fails the request, as other
/// malformed JSON does.
/// </summary>
public sealed class EventPropertiesConverter : JsonConverter<EventProperties>
{
    // One buffer, writer and name set per thread: a read never yields, so nothing else uses them meanwhile.
    [ThreadStatic] static ArrayBufferWriter<byte>? _buffer;
    [ThreadStatic] static Utf8JsonWriter? _writer;
    [ThreadStatic] static HashSet<string>? _names;
    [ThreadStatic] static byte[]? _scratch;

    public override EventProperties Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("'properties' must be a JSON object.");
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(512);
        var names = _names ??= new HashSet<string>(StringComparer.Ordinal);
        buffer.ResetWrittenCount();
        names.Clear();
        var writer = _writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true });
        writer.Reset(buffer);

        string? problem = null;
        List<string>? negative = null;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (name.Length is 0 or > 100 || name.Contains('"', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                problem ??= "Property names are 1 to 100 characters, without double quotes or NUL.";
            }
            else if (!names.Add(name))
            {
                problem ??= $"Property '{name}' is given twice.";
            }
            else if (names.Count > MeteringOptions.MaxProperties)
            {
                problem ??= $"At most {MeteringOptions.MaxProperties} properties.";
            }

            // Past the size limit nothing more is copied: the event is refused, and no buffer grows with what was sent.
            if (writer.BytesCommitted + writer.BytesPending + ValueLength(ref reader) > MeteringOptions.MaxPropertiesBytes)
            {
                problem ??= TooLarge;
                reader.Skip();
                continue;
            }

            writer.WritePropertyName(name);
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    var text = Unescaped(ref reader);
                    if (text.Contains((byte)0)) problem ??= $"Property '{name}' cannot contain NUL (U+0000).";
                    writer.WriteStringValue(text);
                    break;
                case JsonTokenType.Number:
                    var number = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
                    if (IsBelowZero(number)) (negative ??= []).Add(name);
                    writer.WriteRawValue(number, skipInputValidation: true);
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    writer.WriteBooleanValue(reader.GetBoolean());
                    break;
                case JsonTokenType.Null:
                    writer.WriteNullValue();
                    break;
                default: // an object or an array
                    problem ??= $"Property '{name}' must be a string, number, boolean or null.";
                    writer.WriteNullValue();
                    reader.Skip();
                    break;
            }
        }

        writer.WriteEndObject();
        writer.Flush();
        if (buffer.WrittenCount > MeteringOptions.MaxPropertiesBytes) problem ??= TooLarge;
        var json = problem is null ? System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) : "{}";
        if (buffer.Capacity > KeepAtMost) _buffer = null;
        if (_scratch?.Length > KeepAtMost) _scratch = null;
        return EventProperties.Read(json, problem, negative);
    }

    /// <summary>A JSON number below zero: a minus sign, and a digit other than 0 before any exponent (<c>-0.0e5</c> is zero).</summary>
    internal static bool IsBelowZero(ReadOnlySpan<byte> number)
    {
        if (number.IsEmpty || number[0] != (byte)'-') return false;
        foreach (var b in number[1..])
        {
            if (b is (byte)'e' or (byte)'E') return false;
            if (b is >= (byte)'1' and <= (byte)'9') return true;
        }

        return false;
    }

    static readonly string TooLarge = $"Properties take at most {MeteringOptions.MaxPropertiesBytes} bytes as JSON.";

    /// <summary>Buffers larger than this (after a near-limit object) are let go rather than kept by the thread.</summary>
    const int KeepAtMost = 4 * MeteringOptions.MaxPropertiesBytes;

    /// <summary>The bytes a scalar token takes as sent; 0 for an object or array. A value that alone would pass the limit as sent is refused uncopied.</summary>
    static long ValueLength(ref Utf8JsonReader reader) =>
        reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray ? 0
        : reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;

    /// <summary>A string token's value as UTF-8, unescaped, without making a string of it.</summary>
    static ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped) return reader.ValueSpan;
        var most = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (_scratch is null || _scratch.Length < most) _scratch = new byte[Math.Max(most, 1024)];
        return _scratch.AsSpan(0, reader.CopyString(_scratch));
    }

    public override void Write(Utf8JsonWriter writer, EventProperties value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
