using BenchmarkDotNet.Attributes;
using Microsoft.ML.Tokenizers;
using Tollgate.Gateway.Tokens;

namespace Tollgate.Benchmarks;

/// <summary>
/// Counting a prompt's tokens with o200k_base: Tollgate's compact encoding against <c>Microsoft.ML.Tokenizers</c>,
/// which reads the same data file. A short chat message, a paragraph of prose and a block of code.
/// </summary>
[MemoryDiagnoser]
public class TokenCountBenchmark
{
    static readonly Tokenizer Reference = TiktokenTokenizer.CreateForEncoding("o200k_base");

    [Params("message", "prose", "code")]
    public string Text { get; set; } = "message";

    string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        _text = Text switch
        {
            "message" => "Say hello in one short sentence.",
            "prose" => string.Concat(Enumerable.Repeat("Usage-based pricing lets a customer pay for what they use, and a gateway that meters every token can bill it exactly. ", 16)),
            _ => string.Concat(Enumerable.Repeat("public static long Sum(IReadOnlyList<long> values) { var total = 0L; foreach (var v in values) total = checked(total + v); return total; }\n", 8)),
        };
        TokenEncoding.O200kBase.CountTokens(_text);
    }

    [Benchmark(Baseline = true)]
    public int MicrosoftMLTokenizers() => Reference.CountTokens(_text);

    [Benchmark]
    public int Tollgate() => TokenEncoding.O200kBase.CountTokens(_text);
}

/// <summary><c>tokenizer-memory</c>: the managed heap each implementation keeps once o200k_base is loaded.</summary>
public static class TokenizerMemory
{
    public static void Print()
    {
        var before = Retained();
        var ours = TokenEncoding.O200kBase.CountTokens("hello world");
        var afterOurs = Retained();
        var reference = TiktokenTokenizer.CreateForEncoding("o200k_base");
        var theirs = reference.CountTokens("hello world");
        var afterReference = Retained();
        Console.WriteLine($"Tollgate TokenEncoding:        {(afterOurs - before) / 1024.0 / 1024:F1} MB ({ours} tokens)");
        Console.WriteLine($"Microsoft.ML.Tokenizers 2.0.1: {(afterReference - afterOurs) / 1024.0 / 1024:F1} MB ({theirs} tokens)");
        GC.KeepAlive(reference);
    }

    static long Retained()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
