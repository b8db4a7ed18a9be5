using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Gateway.Streaming;

/// <summary>Collects the events to send the client for one upstream event, then hands them over as one write.</summary>
public sealed class SseOutput
{
    readonly ArrayBufferWriter<byte> _buffer = new(4096);

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public bool IsEmpty => _buffer.WrittenCount == 0;

    public void Clear() => _buffer.ResetWrittenCount();

    public void WriteRaw(ReadOnlySpan<byte> raw) => _buffer.Write(raw);

    /// <summary>Writes <c>event: NAME\ndata: JSON\n\n</c>, or only the data line when <paramref name="name"/> is null.</summary>
    public void Write(string? name, JsonNode data)
    {
        if (name is not null)
        {
            _buffer.Write("event: "u8);
            _buffer.Write(System.Text.Encoding.UTF8.GetBytes(name));
            _buffer.Write("\n"u8);
        }

        _buffer.Write("data: "u8);
        using (var json = new Utf8JsonWriter(_buffer, Protocols.WireJson.Writer))
        {
            data.WriteTo(json);
        }

        _buffer.Write("\n\n"u8);
    }

    /// <summary>An error mid-stream, in the client's format: Anthropic's <c>event: error</c>, or OpenAI's data-only error object.</summary>
    public void WriteError(Protocols.GatewayError error, Protocols.GatewayProtocol protocol)
    {
        if (protocol == Protocols.GatewayProtocol.Anthropic) _buffer.Write("event: error\n"u8);
        _buffer.Write("data: "u8);
        _buffer.Write(error.ToJson(protocol));
        _buffer.Write("\n\n"u8);
    }

    public void WriteDone() => _buffer.Write("data: [DONE]\n\n"u8);

    public void WriteComment(string text)
    {
        _buffer.Write(": "u8);
        _buffer.Write(System.Text.Encoding.UTF8.GetBytes(text));
        _buffer.Write("\n\n"u8);
    }
}
