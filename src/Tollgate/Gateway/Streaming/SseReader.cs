using System.Buffers;
using System.Text;

namespace Tollgate.Gateway.Streaming;

/// <summary>
/// Splits an upstream's Server-Sent Events stream into events without copying them: events are slices of one growing
/// buffer, handed out as soon as their blank line arrives. Accepts <c>\n</c> and <c>\r\n</c> line endings. Reads at
/// most <paramref name="maxBytes"/> in all, so no upstream can grow the buffer (or the stream) without end.
/// </summary>
public sealed class SseReader(Stream stream, long maxBytes = long.MaxValue) : IDisposable
{
    long _total;

    byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    int _start;
    int _end;
    bool _ended;

    /// <summary>Whether another complete event is already buffered, so the caller can hold its flush until it is not.</summary>
    public bool HasBufferedEvent => FindBoundary(_buffer.AsSpan(_start, _end - _start), out _) >= 0;

    public async ValueTask<SseEvent?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var boundary = FindBoundary(pending, out var terminatorLength);
            if (boundary >= 0)
            {
                var length = boundary + terminatorLength;
                var raw = new ReadOnlyMemory<byte>(_buffer, _start, length);
                _start += length;
                var parsed = Parse(raw, boundary);
                if (parsed is null) continue; // comment-only or empty event: nothing to forward or inspect
                return parsed;
            }

            if (_ended)
            {
                if (_end - _start == 0 || IsWhitespace(pending)) return null;
                var raw = new ReadOnlyMemory<byte>(_buffer, _start, _end - _start);
                _start = _end;
                return Parse(raw, raw.Length);
            }

            await FillAsync(ct);
        }
    }

    async ValueTask FillAsync(CancellationToken ct)
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            var live = _end - _start;
            var target = live * 2 > _buffer.Length ? ArrayPool<byte>.Shared.Rent(_buffer.Length * 2) : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, live);
            if (!ReferenceEquals(target, _buffer)) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
            _start = 0;
            _end = live;
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (read == 0) _ended = true;
        _end += read;
        _total += read;
        if (_total > maxBytes) throw new UpstreamTooLargeException(maxBytes);
    }

    /// <summary>The offset of the blank line ending the first event, or -1.</summary>
    static int FindBoundary(ReadOnlySpan<byte> data, out int terminatorLength)
    {
        var offset = 0;
        while (true)
        {
            var newline = data[offset..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                terminatorLength = 0;
                return -1;
            }

            var at = offset + newline;
            var next = at + 1;
            if (next < data.Length && data[next] == '\n')
            {
                terminatorLength = 2;
                return at;
            }

            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
            {
                terminatorLength = 3;
                return at;
            }

            if (next >= data.Length || (data[next] == '\r' && next + 1 >= data.Length))
            {
                terminatorLength = 0;
                return -1;
            }

            offset = next;
        }
    }

    static SseEvent? Parse(ReadOnlyMemory<byte> raw, int bodyLength)
    {
        var body = raw.Span[..bodyLength];
        string? name = null;
        ReadOnlyMemory<byte> data = default;
        byte[]? joined = null;
        var position = 0;
        var any = false;
        while (position < body.Length)
        {
            var lineEnd = body[position..].IndexOf((byte)'\n');
            var length = lineEnd < 0 ? body.Length - position : lineEnd;
            var line = body.Slice(position, length);
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            var lineStart = position;
            position += length + 1;
            if (line.IsEmpty || line[0] == ':') continue;

            any = true;
            var colon = line.IndexOf((byte)':');
            var field = colon < 0 ? line : line[..colon];
            var valueOffset = colon < 0 ? line.Length : colon + 1;
            if (valueOffset < line.Length && line[valueOffset] == ' ') valueOffset++;
            if (field.SequenceEqual("data"u8))
            {
                var value = raw.Slice(lineStart + valueOffset, line.Length - valueOffset);
                if (data.IsEmpty && joined is null)
                {
                    data = value;
                }
                else
                {
                    joined = [.. data.Span, (byte)'\n', .. value.Span];
                    data = joined;
                }
            }
            else if (field.SequenceEqual("event"u8))
            {
                name = KnownName(line[valueOffset..]);
            }
        }

        return any ? new SseEvent(raw, name, data) : null;
    }

    static string KnownName(ReadOnlySpan<byte> value) => value switch
    {
        _ when value.SequenceEqual("content_block_delta"u8) => "content_block_delta",
        _ when value.SequenceEqual("content_block_start"u8) => "content_block_start",
        _ when value.SequenceEqual("content_block_stop"u8) => "content_block_stop",
        _ when value.SequenceEqual("message_start"u8) => "message_start",
        _ when value.SequenceEqual("message_delta"u8) => "message_delta",
        _ when value.SequenceEqual("message_stop"u8) => "message_stop",
        _ when value.SequenceEqual("ping"u8) => "ping",
        _ when value.SequenceEqual("error"u8) => "error",
        _ => Encoding.UTF8.GetString(value),
    };

    static bool IsWhitespace(ReadOnlySpan<byte> data) => data.IndexOfAnyExcept(" \r\n\t"u8) < 0;

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
