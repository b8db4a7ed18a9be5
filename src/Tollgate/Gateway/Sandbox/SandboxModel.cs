using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Tokens;
using Tollgate.Gateway.Translation;

namespace Tollgate.Gateway.Sandbox;

/// <summary>What the sandbox answers: a pure function of the request, so the same request always gets the same answer.</summary>
public static class SandboxModel
{
    public sealed record SandboxAnswer(string? Text, string? ToolName, string? ToolArguments, int PromptTokens, int CompletionTokens, string FinishReason)
    {
        public IReadOnlyList<string> Words => Text is null ? [] : Text.Split(' ');
    }

    public static SandboxAnswer Answer(JsonObject body)
    {
        var messages = body["messages"] as JsonArray ?? [];
        var prompt = new StringBuilder();
        string lastUser = "";
        var lastRole = "";
        foreach (var message in messages)
        {
            var content = Json.TextOf(message?["content"]);
            prompt.Append(content).Append('\n');
            lastRole = Json.Str(message?["role"]) ?? "";
            if (lastRole == "user") lastUser = content;
        }

        var promptTokens = TokenEstimate.Of(prompt.ToString()) + 3 * messages.Count;
        var maxTokens = (int)(Json.Long(body["max_completion_tokens"]) ?? Json.Long(body["max_tokens"]) ?? int.MaxValue);

        var tools = body["tools"] as JsonArray;
        if (tools is { Count: > 0 } && lastRole != "tool" && Json.Str(body["tool_choice"]) != "none")
        {
            var forced = Json.Str(body["tool_choice"]?["function"]?["name"]);
            var name = forced ?? Json.Str(tools[0]?["function"]?["name"]) ?? "tool";
            var arguments = new JsonObject { ["query"] = Clip(lastUser, 80) }.ToJsonString();
            return new SandboxAnswer(null, name, arguments, promptTokens, TokenEstimate.Of(arguments) + 4, "tool_calls");
        }

        var jsonMode = Json.Str(body["response_format"]?["type"]) is "json_object" or "json_schema";
        var text = jsonMode
            ? new JsonObject { ["sandbox"] = true, ["answer"] = $"A sandbox reply to: {Clip(lastUser, 80)}" }.ToJsonString()
            : $"[sandbox] This is Tollgate's sandbox model answering \"{Clip(lastUser, 80)}\". Connect a real provider to get real answers.";
        var words = text.Split(' ');
        var finish = "stop";
        if (words.Length > maxTokens)
        {
            text = string.Join(' ', words.Take(Math.Max(0, maxTokens)));
            finish = "length";
        }

        return new SandboxAnswer(text, null, null, promptTokens, text.Length == 0 ? 0 : text.Split(' ').Length, finish);
    }

    public static JsonObject Completion(SandboxAnswer answer, string id, string model, long created)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = answer.Text, ["refusal"] = null };
        if (answer.ToolName is not null) message["tool_calls"] = new JsonArray(ToolCall(answer, id, withIndex: false));
        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = created,
            ["model"] = model,
            ["system_fingerprint"] = SandboxHandler.Fingerprint,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = answer.FinishReason }),
            ["usage"] = Usage(answer),
        };
    }

    /// <summary>The answer as stream chunks: the role, a chunk per word (or the tool call), the finish, and usage when asked.</summary>
    public static IEnumerable<JsonObject> Chunks(SandboxAnswer answer, string id, string model, long created, bool includeUsage)
    {
        JsonObject Chunk(JsonObject? delta, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["system_fingerprint"] = SandboxHandler.Fingerprint,
            ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finish }),
        };

        yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
        if (answer.ToolName is not null)
        {
            yield return Chunk(new JsonObject { ["tool_calls"] = new JsonArray(ToolCall(answer, id, withIndex: true)) }, null);
        }
        else
        {
            var words = answer.Words;
            for (var i = 0; i < words.Count; i++) yield return Chunk(new JsonObject { ["content"] = i == 0 ? words[i] : " " + words[i] }, null);
        }

        yield return Chunk(new JsonObject(), answer.FinishReason);
        if (includeUsage)
        {
            var usage = Chunk(null, null);
            usage["usage"] = Usage(answer);
            yield return usage;
        }
    }

    static JsonObject ToolCall(SandboxAnswer answer, string id, bool withIndex)
    {
        var call = new JsonObject
        {
            ["id"] = "call_" + id[^12..],
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = answer.ToolName, ["arguments"] = answer.ToolArguments },
        };
        if (withIndex) call["index"] = 0;
        return call;
    }

    static JsonObject Usage(SandboxAnswer answer) => new()
    {
        ["prompt_tokens"] = answer.PromptTokens,
        ["completion_tokens"] = answer.CompletionTokens,
        ["total_tokens"] = answer.PromptTokens + answer.CompletionTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
    };

    /// <summary>A unit vector per input, seeded by the input's SHA-256, so equal texts embed equally.</summary>
    public static JsonObject Embeddings(JsonObject body)
    {
        var inputs = body["input"] is JsonArray array ? array.Select(i => i?.ToJsonString() ?? "").ToList() : [Json.Str(body["input"]) ?? ""];
        var dimensions = (int)Math.Clamp(Json.Long(body["dimensions"]) ?? 256, 1, 4096);
        var data = new JsonArray();
        var tokens = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            tokens += TokenEstimate.Of(inputs[i]);
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = new JsonArray([.. Vector(inputs[i], dimensions).Select(v => (JsonNode)v)]) });
        }

        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = Json.Str(body["model"]) ?? "sandbox",
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
    }

    static float[] Vector(string text, int dimensions)
    {
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var random = new Random(BitConverter.ToInt32(seed));
        var vector = new float[dimensions];
        double norm = 0;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
            norm += vector[i] * vector[i];
        }

        var scale = (float)(1 / Math.Sqrt(norm));
        for (var i = 0; i < dimensions; i++) vector[i] = MathF.Round(vector[i] * scale, 6);
        return vector;
    }

    /// <summary>A one-pixel PNG per image whose colour comes from the prompt, as base64 or as a data URL.</summary>
    public static JsonObject Images(JsonObject body, long created)
    {
        var prompt = Json.Str(body["prompt"]) ?? "";
        var count = (int)Math.Clamp(Json.Long(body["n"]) ?? 1, 1, 10);
        var base64 = Json.Str(body["response_format"]) == "b64_json";
        var data = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var png = Convert.ToBase64String(Pixel(SHA256.HashData(Encoding.UTF8.GetBytes($"{prompt}#{i}"))));
            data.Add(base64
                ? new JsonObject { ["b64_json"] = png, ["revised_prompt"] = $"[sandbox] {prompt}" }
                : new JsonObject { ["url"] = "data:image/png;base64," + png, ["revised_prompt"] = $"[sandbox] {prompt}" });
        }

        return new JsonObject { ["created"] = created, ["data"] = data };
    }

    static byte[] Pixel(byte[] rgb)
    {
        // A 1x1 RGB PNG: signature, IHDR, IDAT (the scanline, zlib-compressed by the platform), IEND.
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR"u8, [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        using var idat = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write([0, rgb[0], rgb[1], rgb[2]]);
        }

        WriteChunk(png, "IDAT"u8, idat.ToArray());
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    static void WriteChunk(Stream png, ReadOnlySpan<byte> type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typed = [.. type, .. data];
        png.Write(typed);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, System.IO.Hashing.Crc32.HashToUInt32(typed)); // PNG's CRC-32 is zlib's
        png.Write(length);
    }

    static string Clip(string text, int length)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= length ? text : text[..length] + "…";
    }
}
