using System.Text;

namespace Tollgate.Gateway.Usage;

/// <summary>
/// Client-chosen text (the model asked for, the end user) as a usage record keeps it: at most <see cref="MaxLength"/>
/// characters, with NUL and unpaired surrogates, which PostgreSQL cannot store, replaced by U+FFFD.
/// </summary>
public static class RecordText
{
    public const int MaxLength = 256;

    public static string? Clean(string? text)
    {
        if (text is null) return null;
        if (text.Length > MaxLength) text = text[..MaxLength];
        if (!NeedsCleaning(text)) return text;

        // Enumerating runes turns each unpaired surrogate into U+FFFD already.
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes()) builder.Append(rune.Value == 0 ? Rune.ReplacementChar : rune);
        return builder.ToString();
    }

    static bool NeedsCleaning(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0' || char.IsLowSurrogate(c)) return true;
            if (!char.IsHighSurrogate(c)) continue;
            if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return true;
            i++;
        }

        return false;
    }
}
