using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tollgate.Gateway.Streaming;

/// <summary>
/// The text a stream delivered (content, and tool-call arguments), kept so that a stream cut off before the provider
/// reported usage is billed by the tokens of what it sent, not by its count of chunks. Relays that forward bytes as they
/// are keep the raw delta events and read them only if the text is asked for, which is rare; relays that parse add text.
/// </summary>
public sealed class DeliveredText
{
    ArrayBufferWriter<byte>? _chunks;
    List<(int Offset, int Length, bool Anthropic)>? _spans;
    StringBuilder? _text;

    public void Add(string? text)
    {
        if (!string.IsNullOrEmpty(text)) (_text ??= new StringBuilder()).Append(text);
    }

    /// <summary>An OpenAI chunk's data as sent: its <c>choices[].delta.content</c> and tool arguments are read later.</summary>
    public void AddOpenAIChunk(ReadOnlySpan<byte> data) => Keep(data, anthropic: false);

    /// <summary>An Anthropic <c>content_block_delta</c>'s data as sent: its <c>text</c> or <c>partial_json</c> is read later.</summary>
    public void AddAnthropicDelta(ReadOnlySpan<byte> data) => Keep(data, anthropic: true);

    void Keep(ReadOnlySpan<byte> data, bool anthropic)
    {
        _chunks ??= new ArrayBufferWriter<byte>(4096);
        (_spans ??= []).Add((_chunks.WrittenCount, data.Length, anthropic));
        _chunks.Write(data);
    }

    public override string ToString()
    {
        var text = new StringBuilder().Append(_text);
        foreach (var (offset, length, anthropic) in _spans ?? [])
        {
            try
            {
                using var chunk = JsonDocument.Parse(_chunks!.WrittenMemory.Slice(offset, length));
                if (anthropic) AnthropicDelta(chunk.RootElement, text);
                else OpenAIChunk(chunk.RootElement, text);
            }
            catch (JsonException)
            {
                // a chunk that is not JSON delivered no text anyone can count
            }
        }

        return text.ToString();
    }

    static void OpenAIChunk(JsonElement root, StringBuilder text)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array) return;
        foreach (var choice in choices.EnumerateArray())
        {
            if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object) continue;
            if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String) text.Append(content.GetString());
            if (!delta.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array) continue;
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
                    && function.TryGetProperty("arguments", out var arguments) && arguments.ValueKind == JsonValueKind.String)
                {
                    text.Append(arguments.GetString());
                }
            }
        }
    }

    static void AnthropicDelta(JsonElement root, StringBuilder text)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object) return;
        foreach (var name in new[] { "text", "partial_json", "thinking" })
        {
            if (delta.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String) text.Append(value.GetString());
        }
    }
}
