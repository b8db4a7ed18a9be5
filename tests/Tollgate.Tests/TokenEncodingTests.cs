using System.Text;
using Microsoft.ML.Tokenizers;
using Tollgate.Gateway.Tokens;

namespace Tollgate.Tests;

/// <summary>
/// Tollgate counts tokens with its own compact tiktoken encoding; <c>Microsoft.ML.Tokenizers</c>, reading the same data
/// files, is the reference it must agree with on every kind of text.
/// </summary>
public class TokenEncodingTests
{
    static readonly Tokenizer O200kReference = TiktokenTokenizer.CreateForEncoding("o200k_base");
    static readonly Tokenizer Cl100kReference = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    public static TheoryData<string> Texts => new()
    {
        "Hello, world!",
        "You are a helpful assistant. Say hello in one short sentence.",
        "I'm sure they'LL say it's fine, but we've CAN'T and he'd DIDN'T.",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n\n",
        """{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"max_tokens":32}""",
        "12345678901234567890 3.14159 1,000,000 ٣٤٥ ४५६",
        "日本語のテキストを数えます。中文文本也要计算。한국어 텍스트도 있습니다.",
        "Emoji 😀👍🏽👨‍👩‍👧‍👦 and flags 🇮🇳🇺🇸 mixed with text.",
        "Combining: e\u0301 a\u0308 n\u0303, Arabic: مرحبا بالعالم, Hebrew: שלום עולם",
        "Tabs\tand\r\nCRLF\r\n\r\n   trailing spaces   \n\t\t\n",
        "<|endoftext|>special<|endofprompt|> and <|fim_prefix|>x<|fim_middle|>y<|fim_suffix|> and <|not_special|> <| |>",
        "https://example.com/path/to/page?query=1&b=two#frag //comment /* block */ path/to/file.cs",
        "ALLCAPSWORDS MixedCaseWords camelCaseIdentifier snake_case_identifier kebab-case-identifier",
        "    indented\n        more\n            most",
        "!!!???...,,,;;;:::---___***&&&%%%$$$###@@@",
        " ",
        "\n",
        "a",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Counts_equal_the_reference_tokenizers_on_every_kind_of_text(string text)
    {
        TokenEncoding.O200kBase.CountTokens(text).ShouldBe(O200kReference.CountTokens(text));
        TokenEncoding.Cl100kBase.CountTokens(text).ShouldBe(Cl100kReference.CountTokens(text));
    }

    static readonly string[] Fragments =
    [
        "the", " quick", " Brown", "FOX", "'s", "'LL", "'ve", " ", "  ", "\n", "\r\n", "\t", "0", "42", "1234567", ".", ",", "!?",
        "->", "/", "//", "{", "}\"", "日本", "語", "😀", "👍🏽", "\u0301", "é", "مرحبا", "ß", "İ", "<|endoftext|>", "<|", "|>",
        "\u00a0", "\u2028", "ÀÉÎ", "ǅ", "ⅷ", "½", "x" , "Ω", "ﬁ",
    ];

    [Fact]
    public void Counts_equal_the_reference_tokenizers_on_thousands_of_random_texts()
    {
        var random = new Random(20261202);
        for (var round = 0; round < 3_000; round++)
        {
            var text = new StringBuilder();
            for (var i = random.Next(1, 40); i > 0; i--) text.Append(Fragments[random.Next(Fragments.Length)]);
            var s = text.ToString();
            TokenEncoding.O200kBase.CountTokens(s).ShouldBe(O200kReference.CountTokens(s), s);
            TokenEncoding.Cl100kBase.CountTokens(s).ShouldBe(Cl100kReference.CountTokens(s), s);
        }
    }

    [Theory]
    [InlineData("\ud800")]
    [InlineData(" \udc00")]
    [InlineData("ab\udc00\ud800cd")]
    public void A_lone_surrogate_counts_as_the_replacement_character_as_in_tiktoken(string text)
    {
        // tiktoken replaces a lone surrogate with U+FFFD before encoding; Microsoft.ML.Tokenizers encodes its code unit
        // as three bytes of its own, which no provider sees, so here the two differ and tiktoken is followed.
        var replaced = text.Replace('\ud800', '\ufffd').Replace('\udc00', '\ufffd');
        TokenEncoding.O200kBase.CountTokens(text).ShouldBe(O200kReference.CountTokens(replaced));
        TokenEncoding.Cl100kBase.CountTokens(text).ShouldBe(Cl100kReference.CountTokens(replaced));
    }

    [Theory]
    [InlineData("abcdefghijklmnopqrstuvwxyz", 400)]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", 1_000)]
    [InlineData("!@#$%^&*()_+-=[]{};:,.<>?~", 700)]
    [InlineData("日本語中文한국어", 300)]
    [InlineData("a", 5_000)]
    public void A_piece_too_long_to_scan_is_merged_through_the_queue_to_the_same_count(string alphabet, int length)
    {
        var random = new Random(length);
        var text = new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        Encoding.UTF8.GetByteCount(text).ShouldBeGreaterThan(TokenEncoding.LongestScanned); // one piece, over the scan's limit

        TokenEncoding.O200kBase.CountTokens(text).ShouldBe(O200kReference.CountTokens(text));
        TokenEncoding.Cl100kBase.CountTokens(text).ShouldBe(Cl100kReference.CountTokens(text));
    }

    [Fact]
    public void The_queue_and_the_scan_merge_every_piece_alike()
    {
        var random = new Random(7);
        var bytes = new byte[TokenEncoding.LongestScanned];
        for (var round = 0; round < 2_000; round++)
        {
            var piece = bytes.AsSpan(0, random.Next(2, bytes.Length));
            for (var i = 0; i < piece.Length; i++) piece[i] = (byte)(round % 2 == 0 ? random.Next(256) : "etaoin shrdlu"[random.Next(13)]);
            TokenEncoding.MergeByQueue(TokenEncoding.O200kBase.Ranks, piece).ShouldBe(TokenEncoding.MergeByScan(TokenEncoding.O200kBase.Ranks, piece));
        }
    }

    [Fact]
    public void Every_token_of_the_data_file_is_found_with_its_rank_and_nothing_else_is()
    {
        var ranks = TokenEncoding.O200kBase.Ranks;
        ranks.Count.ShouldBe(199_998);
        for (var b = 0; b < 256; b++) ranks.RankOf([(byte)b]).ShouldBeLessThan(int.MaxValue); // every byte is a token
        ranks.RankOf(" hello"u8).ShouldBe(O200kReference.EncodeToIds(" hello")[0]);
        ranks.RankOf("no such token at all"u8).ShouldBe(int.MaxValue);
        ranks.RankOf([]).ShouldBe(int.MaxValue);
    }

    [Fact]
    public void A_damaged_data_file_is_refused_with_its_line()
    {
        Should.Throw<InvalidDataException>(() => TokenRanks.Read(new MemoryStream("YQ== 0\nYg== x\n"u8.ToArray()))).Message.ShouldContain("Line 2");
        Should.Throw<InvalidDataException>(() => TokenRanks.Read(new MemoryStream("YQ== 0\n!!! 1\n"u8.ToArray()))).Message.ShouldContain("Line 2");
        Should.Throw<InvalidDataException>(() => TokenRanks.Read(new MemoryStream("YQ== 0\nYQ== 1\n"u8.ToArray()))).Message.ShouldContain("listed twice");
        TokenRanks.Read(new MemoryStream("Capacity: 2\nYQ== 0\nYg== 7\n"u8.ToArray())).RankOf("b"u8).ShouldBe(7);
        var numberedByLine = TokenRanks.Read(new MemoryStream("Capacity: 3\r\n\r\nYQ==\r\n\r\nYg==\r\n"u8.ToArray())); // a blank line is a rank unused
        (numberedByLine.RankOf("a"u8), numberedByLine.RankOf("b"u8)).ShouldBe((0, 2));
    }
}
