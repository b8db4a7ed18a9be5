using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Common;
using Tollgate.Metering;

namespace Tollgate.Tests;

public sealed class EventPropertiesTests
{
    static EventProperties Read(string json) => JsonSerializer.Deserialize<EventProperties>(json, ApiJson.Options)!;

    /// <summary>Reads as a request body arrives: in pieces of <paramref name="size"/> bytes, so tokens span pieces.</summary>
    static EventProperties ReadInPieces(string json, int size)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Piece? first = null, last = null;
        for (var i = 0; i < bytes.Length; i += size)
        {
            var piece = new Piece(bytes.AsMemory(i, Math.Min(size, bytes.Length - i)), i);
            if (last is null) first = piece;
            else last.Append(piece);
            last = piece;
        }

        var reader = new Utf8JsonReader(new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length));
        return JsonSerializer.Deserialize<EventProperties>(ref reader, ApiJson.Options)!;
    }

    sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long start)
        {
            Memory = memory;
            RunningIndex = start;
        }

        public void Append(Piece next) => Next = next;
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","n":3,"cost":1.50,"big":12345678901234567890,"ok":true,"no":false,"none":null}""")]
    [InlineData("""{"city":"Zürich","quote":"say \"hi\"","html":"<b>&</b>","tab":"a\tb","emoji":"\ud83d\ude00"}""")]
    [InlineData("""{ "spaced" : "out" ,  "n" : -2e3 }""")]
    [InlineData("{}")]
    public void Properties_are_stored_as_the_api_writes_them_with_numbers_kept_as_sent(string json)
    {
        var expected = JsonNode.Parse(json)!.AsObject().ToJsonString(ApiJson.Options);

        var properties = Read(json);

        properties.Problem.ShouldBeNull();
        properties.Json.ShouldBe(expected);
        ReadInPieces(json, 3).Json.ShouldBe(expected);
        ReadInPieces(json, 1).Json.ShouldBe(expected);
    }

    [Theory]
    [InlineData("""{"nested":{"no":1}}""", "Property 'nested' must be a string, number, boolean or null.")]
    [InlineData("""{"list":[1,2]}""", "Property 'list' must be a string, number, boolean or null.")]
    [InlineData("""{"a":1,"a":2}""", "Property 'a' is given twice.")]
    [InlineData("""{"":1}""", "Property names are 1 to 100 characters, without double quotes or NUL.")]
    [InlineData("""{"say \"x\"":1}""", "Property names are 1 to 100 characters, without double quotes or NUL.")]
    [InlineData("""{"a\u0000b":1}""", "Property names are 1 to 100 characters, without double quotes or NUL.")]
    [InlineData("""{"note":"a\u0000"}""", "Property 'note' cannot contain NUL (U+0000).")]
    public void What_cannot_be_stored_becomes_a_problem_of_that_event(string json, string problem)
    {
        var properties = Read(json);

        properties.Problem.ShouldBe(problem);
        ReadInPieces(json, 2).Problem.ShouldBe(problem);
    }

    [Fact]
    public void Too_many_or_too_large_properties_are_problems()
    {
        var many = "{" + string.Join(",", Enumerable.Range(0, MeteringOptions.MaxProperties + 1).Select(i => $"\"p{i}\":{i}")) + "}";
        var large = $$"""{"text":"{{new string('x', MeteringOptions.MaxPropertiesBytes)}}"}""";
        var most = "{" + string.Join(",", Enumerable.Range(0, MeteringOptions.MaxProperties).Select(i => $"\"p{i}\":{i}")) + "}";

        // 6,000 é take 12,000 bytes as sent and 36,000 once escaped as the API writes them.
        var escaped = $$"""{"text":"{{new string('é', 6000)}}"}""";
        var spread = "{" + string.Join(",", Enumerable.Range(0, 20).Select(i => $"\"p{i}\":\"{new string('x', 1000)}\"")) + "}";

        Read(many).Problem.ShouldBe($"At most {MeteringOptions.MaxProperties} properties.");
        Read(large).Problem.ShouldBe($"Properties take at most {MeteringOptions.MaxPropertiesBytes} bytes as JSON.");
        Read(escaped).Problem.ShouldBe($"Properties take at most {MeteringOptions.MaxPropertiesBytes} bytes as JSON.");
        Read(spread).Problem.ShouldBe($"Properties take at most {MeteringOptions.MaxPropertiesBytes} bytes as JSON.");
        ReadInPieces(spread, 7).Problem.ShouldBe($"Properties take at most {MeteringOptions.MaxPropertiesBytes} bytes as JSON.");
        Read(most).Problem.ShouldBeNull();
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"text\"")]
    [InlineData("5")]
    public void Anything_but_an_object_is_malformed(string json)
    {
        Should.Throw<JsonException>(() => Read(json));
    }

    [Fact]
    public void Properties_are_written_back_as_the_object_they_hold()
    {
        var input = JsonSerializer.Deserialize<EventInput>("""{"id":"e1","code":"query","properties":{"model":"gpt-4o","n":2}}""", ApiJson.Options)!;

        JsonSerializer.Serialize(input, ApiJson.Options).ShouldContain("""
            "properties":{"model":"gpt-4o","n":2}
            """.Trim());
        JsonNode.Parse(input.Properties!.Json)!["n"]!.GetValue<int>().ShouldBe(2);
    }
}

public class NegativeNumberTests
{
    [Theory]
    [InlineData("-1", true)]
    [InlineData("-0.5", true)]
    [InlineData("-1e-300", true)]
    [InlineData("-0", false)]
    [InlineData("-0.0e5", false)]
    [InlineData("0", false)]
    [InlineData("12", false)]
    [InlineData("1e-5", false)]
    public void A_number_is_below_zero_only_with_a_minus_and_a_digit_that_is_not_zero(string number, bool below) =>
        Tollgate.Metering.EventPropertiesConverter.IsBelowZero(System.Text.Encoding.ASCII.GetBytes(number)).ShouldBe(below);
}
