using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace Tollgate.Gateway.Tokens;

/// <summary>
/// A tiktoken encoding, for counting: the text is split at the encoding's special tokens (each one token) and, between
/// them, into pieces by the encoding's published pattern; a piece that is a token is one, and any other is merged from
/// its bytes pair by pair, the pair of lowest rank first (leftmost among equals), as tiktoken does. Counts equal those
/// of <c>Microsoft.ML.Tokenizers</c>' <c>TiktokenTokenizer</c> (tested against it on every kind of text), from the same
/// data files, in a tenth of its memory (<see cref="TokenRanks"/>).
/// </summary>
public sealed partial class TokenEncoding
{
    // The patterns of https://github.com/openai/tiktoken/blob/main/tiktoken_ext/openai_public.py, with .NET's atomic
    // groups where Python's regex has possessive quantifiers.
    const string O200kPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const string Cl100kPattern = @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+)|(?>\p{N}{1,3})| ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)|(?>\s+)$|\s*[\r\n]|\s+(?!\S)|\s";

    [GeneratedRegex(O200kPattern)]
    private static partial Regex O200kPieces();

    [GeneratedRegex(Cl100kPattern)]
    private static partial Regex Cl100kPieces();

    /// <summary>GPT-4o, GPT-4.1, GPT-5 and the o series.</summary>
    public static readonly TokenEncoding O200kBase = new(
        "o200k_base", O200kPieces(), ["<|endoftext|>", "<|endofprompt|>"],
        () => TokenRanks.Load("Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate"));

    /// <summary>GPT-4, GPT-3.5 and the embedding models.</summary>
    public static readonly TokenEncoding Cl100kBase = new(
        "cl100k_base", Cl100kPieces(), ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"],
        () => TokenRanks.Load("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate"));

    readonly Regex _pieces;
    readonly string[] _specials;
    readonly Lazy<TokenRanks> _ranks;

    TokenEncoding(string name, Regex pieces, string[] specials, Func<TokenRanks> ranks)
    {
        Name = name;
        (_pieces, _specials) = (pieces, specials);
        _ranks = new Lazy<TokenRanks>(ranks);
    }

    public string Name { get; }

    /// <summary>Read when the encoding first counts: a gateway whose models have no tokenizer never loads one.</summary>
    internal TokenRanks Ranks => _ranks.Value;

    /// <summary>Pieces up to this many bytes are merged by scanning their pairs, longer ones through a priority queue.</summary>
    internal const int LongestScanned = 128;

    public int CountTokens(ReadOnlySpan<char> text)
    {
        var ranks = Ranks;
        var count = 0;
        while (!text.IsEmpty)
        {
            var (at, length) = NextSpecial(text);
            var plain = at < 0 ? text : text[..at];
            foreach (var match in _pieces.EnumerateMatches(plain)) count += CountPiece(ranks, plain.Slice(match.Index, match.Length));
            if (at < 0) break;
            count++;
            text = text[(at + length)..];
        }

        return count;
    }

    (int At, int Length) NextSpecial(ReadOnlySpan<char> text)
    {
        var (at, length) = (-1, 0);
        var start = text.IndexOf("<|", StringComparison.Ordinal);
        if (start < 0) return (at, length);
        foreach (var special in _specials)
        {
            var found = text[start..].IndexOf(special, StringComparison.Ordinal);
            if (found >= 0 && (at < 0 || start + found < at)) (at, length) = (start + found, special.Length);
        }

        return (at, length);
    }

    static int CountPiece(TokenRanks ranks, ReadOnlySpan<char> piece)
    {
        var most = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = null;
        Span<byte> buffer = most <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(most));
        try
        {
            var bytes = buffer[..Encoding.UTF8.GetBytes(piece, buffer)];
            if (bytes.Length == 1 || ranks.RankOf(bytes) != int.MaxValue) return 1;
            return bytes.Length <= LongestScanned ? MergeByScan(ranks, bytes) : MergeByQueue(ranks, bytes);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// tiktoken's merge: boundaries between parts, the rank of each adjacent pair of parts, and the lowest-ranked pair
    /// merged until no pair is a token. Quadratic in the piece's length, so only for short pieces.
    /// </summary>
    internal static int MergeByScan(TokenRanks ranks, ReadOnlySpan<byte> piece)
    {
        var boundaries = piece.Length + 1;
        Span<int> starts = stackalloc int[boundaries];
        Span<int> pairRanks = stackalloc int[boundaries];
        for (var i = 0; i < boundaries; i++) starts[i] = i;
        for (var i = 0; i < boundaries; i++) pairRanks[i] = PairRank(ranks, piece, starts, boundaries, i);
        while (true)
        {
            var (lowest, at) = (int.MaxValue, -1);
            for (var i = 0; i < boundaries - 2; i++)
            {
                if (pairRanks[i] < lowest) (lowest, at) = (pairRanks[i], i);
            }

            if (at < 0) return boundaries - 1;
            starts[(at + 2)..boundaries].CopyTo(starts[(at + 1)..]);
            pairRanks[(at + 2)..boundaries].CopyTo(pairRanks[(at + 1)..]);
            boundaries--;
            pairRanks[at] = PairRank(ranks, piece, starts, boundaries, at);
            if (at > 0) pairRanks[at - 1] = PairRank(ranks, piece, starts, boundaries, at - 1);
        }
    }

    /// <summary>The rank of the pair of parts starting at boundary <paramref name="i"/>, when both parts exist.</summary>
    static int PairRank(TokenRanks ranks, ReadOnlySpan<byte> piece, ReadOnlySpan<int> starts, int boundaries, int i) =>
        i + 2 < boundaries ? ranks.RankOf(piece[starts[i]..starts[i + 2]]) : int.MaxValue;

    /// <summary>
    /// The same merges in O(n log n) for a long piece (a run of letters or symbols with no space, which a client could
    /// make as long as the body allows): parts as a linked list, candidate pairs in a queue by rank and then position,
    /// and a pair whose parts changed since it was queued skipped when it comes up.
    /// </summary>
    internal static int MergeByQueue(TokenRanks ranks, ReadOnlySpan<byte> piece)
    {
        var n = piece.Length;
        var next = new int[n];
        var previous = new int[n];
        var pairRanks = new int[n]; // of the pair starting at each part; -1 once the part was merged into the previous
        for (var i = 0; i < n; i++) (next[i], previous[i]) = (i + 1, i - 1);
        var queue = new PriorityQueue<int, long>(n);
        for (var i = 0; i < n; i++) QueuePair(ranks, piece, next, pairRanks, queue, i);
        var parts = n;
        while (queue.TryDequeue(out var i, out var key))
        {
            if (pairRanks[i] < 0 || Key(pairRanks[i], i) != key) continue;
            var merged = next[i];
            next[i] = next[merged];
            if (next[i] < n) previous[next[i]] = i;
            pairRanks[merged] = -1;
            parts--;
            QueuePair(ranks, piece, next, pairRanks, queue, i);
            if (previous[i] >= 0) QueuePair(ranks, piece, next, pairRanks, queue, previous[i]);
        }

        return parts;
    }

    static void QueuePair(TokenRanks ranks, ReadOnlySpan<byte> piece, int[] next, int[] pairRanks, PriorityQueue<int, long> queue, int i)
    {
        var second = next[i];
        pairRanks[i] = second < piece.Length ? ranks.RankOf(piece[i..next[second]]) : int.MaxValue;
        if (pairRanks[i] != int.MaxValue) queue.Enqueue(i, Key(pairRanks[i], i));
    }

    /// <summary>Lower ranks first, and among equal ranks the leftmost pair.</summary>
    static long Key(int rank, int start) => ((long)rank << 32) | (uint)start;
}
