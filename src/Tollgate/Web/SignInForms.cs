using System.Security.Cryptography;
using System.Text;
using Tollgate.Common;

namespace Tollgate.Web;

/// <summary>
/// The anti-forgery of forms that come before any session (signing in, accepting an invitation): a random value in a
/// cookie of their own (HttpOnly, SameSite=Strict), which the form must repeat, compared in constant time.
/// </summary>
public static class SignInForms
{
    const string CookieName = "tollgate_sign_in";

    /// <summary>The token for the form, from the cookie (set now if missing) scoped to <paramref name="path"/>.</summary>
    public static string Token(HttpContext http, string path)
    {
        if (http.Request.Cookies[CookieName] is { Length: 32 } existing) return existing;
        var token = RandomText.Secret("", 32);
        http.Response.Cookies.Append(CookieName, token, Options(http, path, TimeSpan.FromHours(1)));
        return token;
    }

    /// <summary>Whether the posted form repeats its cookie's token.</summary>
    public static bool Verify(HttpContext http, IFormCollection form)
    {
        var cookie = http.Request.Cookies[CookieName];
        var sent = form[FormTokens.FormField].ToString();
        return cookie is { Length: 32 } && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie), Encoding.ASCII.GetBytes(sent));
    }

    /// <summary>
    /// A session's cookie: HttpOnly, Secure over HTTPS, scoped to <paramref name="path"/>, and SameSite=Lax, so that a
    /// link from another site (the operator's app, a payment provider sending the customer back, an email) arrives
    /// signed in; every change still needs the session's anti-forgery token, which no other site can know.
    /// </summary>
    public static CookieOptions SessionOptions(HttpContext http, string path)
    {
        var options = Options(http, path);
        options.SameSite = SameSiteMode.Lax;
        return options;
    }

    /// <summary>The sign-in form's cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, scoped to <paramref name="path"/>.</summary>
    public static CookieOptions Options(HttpContext http, string path, TimeSpan? maxAge = null) => new()
    {
        HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = path, IsEssential = true, MaxAge = maxAge,
    };

    public static void Forget(HttpContext http, string path) => http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = path });
}
