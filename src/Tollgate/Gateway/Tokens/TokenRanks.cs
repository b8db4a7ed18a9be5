using System.IO.Compression;
using System.Numerics;
using System.IO.Hashing;
using System.Reflection;
using System.Text;

namespace Tollgate.Gateway.Tokens;

/// <summary>
/// The mergeable ranks of a tiktoken encoding (every token's bytes and its rank), held compactly: all tokens' bytes in
/// one array, found through an open-addressing table of indexes. o200k_base's 200,000 tokens take about 5 MB this way,
/// against about 45 MB of dictionaries, strings and arrays in <c>Microsoft.ML.Tokenizers</c>, which also keeps a
/// decoder and a vocabulary of strings that counting never uses (docs/benchmarks.md, "The tokenizer's memory").
/// </summary>
public sealed class TokenRanks
{
    readonly byte[] _bytes;
    readonly int[] _offsets; // token i's bytes are _bytes[_offsets[i].._offsets[i + 1]]
    readonly int[] _ranks;
    readonly int[] _slots; // token index + 1, 0 for an empty slot
    readonly int _mask;

    TokenRanks(byte[] bytes, int[] offsets, int[] ranks, int count)
    {
        (_bytes, _offsets, _ranks) = (bytes, offsets, ranks);
        Count = count;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 2));
        _slots = new int[size];
        _mask = size - 1;
        for (var i = 0; i < count; i++)
        {
            var slot = Slot(Token(i));
            while (_slots[slot] != 0)
            {
                if (Token(_slots[slot] - 1).SequenceEqual(Token(i))) throw new InvalidDataException($"The token of rank {ranks[i]} is listed twice.");
                slot = (slot + 1) & _mask;
            }

            _slots[slot] = i + 1;
        }
    }

    public int Count { get; }

    ReadOnlySpan<byte> Token(int index) => _bytes.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    int Slot(ReadOnlySpan<byte> bytes) => (int)XxHash3.HashToUInt64(bytes) & _mask;

    /// <summary>The rank of the token made of exactly <paramref name="bytes"/>, or <see cref="int.MaxValue"/> when none is.</summary>
    public int RankOf(ReadOnlySpan<byte> bytes)
    {
        for (var slot = Slot(bytes); ; slot = (slot + 1) & _mask)
        {
            var entry = _slots[slot];
            if (entry == 0) return int.MaxValue;
            if (Token(entry - 1).SequenceEqual(bytes)) return _ranks[entry - 1];
        }
    }

    /// <summary>
    /// Reads a <c>.tiktoken</c> file: one token a line, its bytes in base64, then a space and its rank, or without a rank
    /// the line's number counted from the first token (as in the files the <c>Microsoft.ML.Tokenizers.Data</c> packages
    /// embed, where an empty line is a rank no token has); an optional first line <c>Capacity: N</c> is skipped.
    /// </summary>
    public static TokenRanks Read(Stream tiktoken)
    {
        using var reader = new StreamReader(tiktoken, Encoding.ASCII);
        var bytes = new byte[1 << 20];
        var offsets = new List<int>(200_001) { 0 };
        var ranks = new List<int>(200_000);
        var used = 0;
        var (lineNumber, tokenLine) = (0, -1);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (lineNumber == 1 && line.StartsWith("Capacity: ", StringComparison.Ordinal)) continue;
            if (tokenLine >= 0) tokenLine++;
            if (line.Length == 0) continue;
            if (tokenLine < 0) tokenLine = 0;
            var space = line.IndexOf(' ');
            var rank = tokenLine;
            if (space == 0 || (space > 0 && (!int.TryParse(line.AsSpan(space + 1), out rank) || rank < 0)))
                throw new InvalidDataException($"Line {lineNumber} of the token file is neither '<base64>' nor '<base64> <rank>'.");
            var token = space > 0 ? line.AsSpan(0, space) : line.AsSpan();
            if (bytes.Length - used < token.Length) Array.Resize(ref bytes, Math.Max(bytes.Length * 2, used + token.Length));
            if (!Convert.TryFromBase64Chars(token, bytes.AsSpan(used), out var written) || written == 0)
                throw new InvalidDataException($"Line {lineNumber} of the token file has no valid base64 token.");
            used += written;
            offsets.Add(used);
            ranks.Add(rank);
        }

        Array.Resize(ref bytes, used);
        return new TokenRanks(bytes, [.. offsets], [.. ranks], ranks.Count);
    }

    /// <summary>
    /// The ranks of an encoding shipped in a <c>Microsoft.ML.Tokenizers.Data</c> package (the same files OpenAI
    /// publishes), read from the deflated resource the package embeds.
    /// </summary>
    public static TokenRanks Load(string assemblyName, string resourceName)
    {
        var assembly = Assembly.Load(assemblyName);
        using var resource = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"{assemblyName} has no resource {resourceName}.");
        using var inflated = new DeflateStream(resource, CompressionMode.Decompress);
        return Read(inflated);
    }
}
