using Microsoft.AspNetCore.Identity;

namespace Tollgate.Web;

/// <summary>
/// The passwords of the people who sign in to the dashboard and the portal: hashed by ASP.NET Core's
/// <see cref="PasswordHasher{TUser}"/> (PBKDF2; a hash made with older defaults is rehashed at the next sign-in).
/// </summary>
public static class Passwords
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 1_000;

    sealed class Person;

    static readonly PasswordHasher<Person> Hasher = new();

    /// <summary>A hash to check against when no one has the email, so that such a sign-in takes as long as a real one.</summary>
    static readonly string Decoy = Hasher.HashPassword(new Person(), Common.RandomText.Secret("", 24));

    public static bool Acceptable(string? password) => password is { Length: >= MinimumLength and <= MaximumLength };

    public static string Hash(string password) => Hasher.HashPassword(new Person(), password);

    /// <summary>Whether <paramref name="password"/> is the one of <paramref name="hash"/> (the decoy when null), and whether to store a new hash.</summary>
    public static (bool Right, bool Rehash) Verify(string? hash, string? password)
    {
        var verdict = Hasher.VerifyHashedPassword(new Person(), hash ?? Decoy, password ?? "");
        return hash is null ? (false, false) : (verdict != PasswordVerificationResult.Failed, verdict == PasswordVerificationResult.SuccessRehashNeeded);
    }
}
