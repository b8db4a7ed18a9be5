using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Web;

/// <summary>
/// Anti-forgery tokens for the dashboard's and the portal's forms: the HMAC-SHA256 of a fixed label keyed by the
/// session's own secret token, so a page can carry it, every node can check it without storing it, and no other
/// site can know it (the session cookie is HttpOnly and SameSite=Strict besides). Before a session exists, the
/// sign-in form is guarded the same way by a random cookie of its own.
/// </summary>
public static class FormTokens
{
    public const string FormField = "_csrf";
    public const string Header = "X-CSRF-Token";

    public static string Csrf(string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), "tollgate-anti-forgery"u8)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether <paramref name="sent"/> is the token of <paramref name="secret"/>, compared in constant time.</summary>
    public static bool Matches(string secret, string? sent) =>
        sent is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Csrf(secret)), Encoding.ASCII.GetBytes(sent));

    /// <summary>Whether the request carries the token of <paramref name="secret"/>, in its header or its form.</summary>
    public static async Task<bool> CarriedAsync(HttpContext context, string secret)
    {
        string? sent = context.Request.Headers[Header];
        if (sent is null && context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            sent = form[FormField];
        }

        return Matches(secret, sent);
    }
}
