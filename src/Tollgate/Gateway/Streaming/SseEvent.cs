namespace Tollgate.Gateway.Streaming;

/// <summary>
/// One Server-Sent Event as read from an upstream: <see cref="Raw"/> is the event exactly as received, terminator included,
/// so it can be forwarded untouched; <see cref="Data"/> is its <c>data</c> field. Both are valid until the next read.
/// </summary>
public readonly record struct SseEvent(ReadOnlyMemory<byte> Raw, string? Name, ReadOnlyMemory<byte> Data)
{
    static ReadOnlySpan<byte> DoneMarker => "[DONE]"u8;

    public bool IsDone => Data.Span.SequenceEqual(DoneMarker);

    /// <summary>Whether the data carries <paramref name="text"/>: a cheap test before parsing JSON.</summary>
    public bool DataContains(ReadOnlySpan<byte> text) => Data.Span.IndexOf(text) >= 0;
}
