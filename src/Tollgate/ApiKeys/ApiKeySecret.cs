using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>
/// The secret a key holder presents: <c>tg_live_</c>, <c>tg_test_</c>, <c>tg_admin_live_</c> or <c>tg_admin_test_</c>
/// followed by 43 base62 characters (256 bits of randomness).
/// </summary>
public static class ApiKeySecret
{
    public const int RandomLength = 43;

    public static string Prefix(KeyKind kind, KeyMode mode) => (kind, mode) switch
    {
        (KeyKind.Admin, KeyMode.Live) => "tg_admin_live_",
        (KeyKind.Admin, KeyMode.Test) => "tg_admin_test_",
        (KeyKind.Customer, KeyMode.Test) => "tg_test_",
        _ => "tg_live_",
    };

    public static string Generate(KeyKind kind, KeyMode mode) => RandomText.Secret(Prefix(kind, mode), RandomLength);

    /// <summary>Whether <paramref name="secret"/> has the shape of a Tollgate key, and which kind and mode it claims.</summary>
    public static bool TryParse(ReadOnlySpan<char> secret, out KeyKind kind, out KeyMode mode)
    {
        kind = KeyKind.Customer;
        mode = KeyMode.Live;
        int start;
        if (secret.StartsWith("tg_live_")) start = 8;
        else if (secret.StartsWith("tg_test_")) (mode, start) = (KeyMode.Test, 8);
        else if (secret.StartsWith("tg_admin_live_")) (kind, start) = (KeyKind.Admin, 14);
        else if (secret.StartsWith("tg_admin_test_")) (kind, mode, start) = (KeyKind.Admin, KeyMode.Test, 14);
        else return false;

        var rest = secret[start..];
        if (rest.Length != RandomLength) return false;
        foreach (var c in rest)
        {
            if (!char.IsAsciiLetterOrDigit(c)) return false;
        }

        return true;
    }

    /// <summary>What may be shown of a key after creation: its prefix, four characters, and its last four.</summary>
    public static (string DisplayPrefix, string LastFour) Visible(string secret)
    {
        var randomStart = secret.Length - RandomLength;
        return (secret[..(randomStart + 4)], secret[^4..]);
    }
}
