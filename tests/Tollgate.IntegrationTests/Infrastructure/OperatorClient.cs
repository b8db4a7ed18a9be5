using Tollgate.Web;
using System.Text.RegularExpressions;
using Tollgate.Common;
using Tollgate.Operators;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// A browser's worth of HTTP for the dashboard: a cookie jar, no redirects followed (so tests see them), the sign-in
/// form filled as a person does, and every form post carrying the anti-forgery token its page would.
/// </summary>
public sealed partial class OperatorClient : IDisposable
{
    readonly HttpClient _http;
    readonly CookieContainer _cookies = new();
    readonly Uri _base;

    OperatorClient(Uri baseAddress)
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

    public static OperatorClient SignedOut(TollgateServer server) => new(server.BaseAddress);

    /// <summary>Signs in through the sign-in form; fails the test unless it leads to the dashboard.</summary>
    public static async Task<OperatorClient> SignInAsync(TollgateServer server, string email, string password = Password)
    {
        var client = new OperatorClient(server.BaseAddress);
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
        if (withToken && SessionToken is { } token) all["_csrf"] = FormTokens.Csrf(token);
        return _http.PostAsync(path, new FormUrlEncodedContent(all));
    }

    [GeneratedRegex("name=\"_csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();

    public void Dispose() => _http.Dispose();
}
