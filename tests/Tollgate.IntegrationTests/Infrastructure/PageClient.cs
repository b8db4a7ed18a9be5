using Tollgate.Web;
using System.Text.RegularExpressions;
using Tollgate.Common;
using Tollgate.Operators;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// A browser's worth of HTTP for the dashboard and the portal: a cookie jar, no redirects followed (so tests see them), the sign-in
/// form filled as a person does, and every form post carrying the anti-forgery token its page would.
/// </summary>
public sealed partial class PageClient : IDisposable
{
    readonly HttpClient _http;
    readonly CookieContainer _cookies = new();
    readonly Uri _base;

    PageClient(Uri baseAddress)
    {
        _base = baseAddress;
        _http = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    }

    public const string Password = "correct horse battery staple";

    /// <summary>A new operator with <paramref name="role"/> and <see cref="Password"/>; its email.</summary>
    public static async Task<string> AddAsync(TollgateServer server, OperatorRole role)
    {
        var email = $"{role.Name()}.{Guid.NewGuid():N}@operators.example";
        var created = await server.Get<OperatorStore>().CreateAsync(email, $"{role} Person", role, Password, Actor.System, CancellationToken.None);
        created.IsOk.ShouldBeTrue(created.IsOk ? null : created.Error.Message);
        return email;
    }

    public static PageClient SignedOut(TollgateServer server) => new(server.BaseAddress);

    /// <summary>Signs in through the sign-in form; fails the test unless it leads to the dashboard.</summary>
    public static async Task<PageClient> SignInAsync(TollgateServer server, string email, string password = Password)
    {
        var client = new PageClient(server.BaseAddress);
        var answer = await client.SignInFormAsync(email, password);
        answer.StatusCode.ShouldBe(HttpStatusCode.Redirect, await answer.Content.ReadAsStringAsync());
        client.SessionToken.ShouldNotBeNull();
        return client;
    }

    /// <summary>Opens the sign-in form and posts it with <paramref name="email"/> and <paramref name="password"/>.</summary>
    public async Task<HttpResponseMessage> SignInFormAsync(string email, string password, string returnTo = "/dashboard")
    {
        var form = await (await _http.GetAsync("/dashboard/sign-in")).Content.ReadAsStringAsync();
        var token = CsrfField().Match(form).Groups[1].Value;
        return await _http.PostAsync("/dashboard/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = token, ["email"] = email, ["password"] = password, ["return_to"] = returnTo,
        }));
    }

    public string? SessionToken => _cookies.GetCookies(new Uri(_base, "/dashboard/"))[OperatorGate.CookieName]?.Value;

    public string? PortalToken => _cookies.GetCookies(new Uri(_base, "/portal/"))[Tollgate.Portal.PortalGate.CookieName]?.Value;

    /// <summary>Follows a portal link as the customer's browser does: a client in the portal, or the answer that refused it.</summary>
    public static async Task<(PageClient Client, HttpResponseMessage Answer)> EnterPortalAsync(TollgateServer server, string url)
    {
        var client = new PageClient(server.BaseAddress);
        return (client, await client._http.GetAsync(new Uri(url).PathAndQuery));
    }

    /// <summary>A customer's way into the portal: a link minted with the admin key, followed; fails the test unless it lands in the portal.</summary>
    public static async Task<PageClient> PortalAsync(TollgateServer server, string customerId)
    {
        var link = await server.Admin.PostAsync("/api/v1/portal-sessions", new { customer_id = customerId, return_url = "https://app.example.com/account" });
        link.Status.ShouldBe(HttpStatusCode.Created, link.Body?.ToJsonString());
        var (client, answer) = await EnterPortalAsync(server, link.Str("url")!);
        answer.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        client.PortalToken.ShouldNotBeNull();
        return client;
    }

    /// <summary>A member's sign-in to the portal through its form.</summary>
    public async Task<HttpResponseMessage> PortalSignInAsync(string email, string password)
    {
        var form = await (await _http.GetAsync("/portal/sign-in")).Content.ReadAsStringAsync();
        return await _http.PostAsync("/portal/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = CsrfField().Match(form).Groups[1].Value, ["email"] = email, ["password"] = password,
        }));
    }

    /// <summary>Accepts an invitation through its page, choosing a name and a password, as the invitee does.</summary>
    public async Task<HttpResponseMessage> AcceptInvitationAsync(string link, string name, string password)
    {
        var path = new Uri(link).PathAndQuery;
        var form = await (await _http.GetAsync(path)).Content.ReadAsStringAsync();
        var token = System.Web.HttpUtility.ParseQueryString(new Uri(link).Query)["token"]!;
        return await _http.PostAsync("/portal/invitations/accept", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = CsrfField().Match(form).Groups[1].Value, ["token"] = token, ["name"] = name, ["password"] = password,
        }));
    }

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public async Task<string> PageAsync(string path)
    {
        var answer = await _http.GetAsync(path);
        var html = await answer.Content.ReadAsStringAsync();
        answer.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        return html;
    }

    /// <summary>Posts a form as the dashboard's pages do: with the session's anti-forgery token unless <paramref name="withToken"/> is false.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, IDictionary<string, string>? fields = null, bool withToken = true)
    {
        var all = new Dictionary<string, string>(fields ?? new Dictionary<string, string>());
        var session = path.StartsWith("/portal", StringComparison.Ordinal) ? PortalToken : SessionToken;
        if (withToken && session is { } token) all["_csrf"] = FormTokens.Csrf(token);
        return _http.PostAsync(path, new FormUrlEncodedContent(all));
    }

    [GeneratedRegex("name=\"_csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    public void Dispose() => _http.Dispose();
}
