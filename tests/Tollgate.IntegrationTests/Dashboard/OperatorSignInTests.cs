using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Operators;

namespace Tollgate.IntegrationTests.Dashboard;

/// <summary>Operators signing in over real HTTP: passwords, the lock-out, the sign-in form's own anti-forgery, sessions and signing out everywhere.</summary>
public abstract class OperatorSignInTests(TollgateServer server)
{
    [Fact]
    public async Task A_signed_out_browser_is_sent_to_sign_in_and_back_to_where_it_was_going()
    {
        using var browser = PageClient.SignedOut(server);
        var page = await browser.GetAsync("/dashboard/customers?q=ada");
        page.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        page.Headers.Location!.OriginalString.ShouldBe($"/dashboard/sign-in?return_to={Uri.EscapeDataString("/dashboard/customers?q=ada")}");
        (await browser.PostAsync("/dashboard/invoices/inv_x/void")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var email = await PageClient.AddAsync(server, OperatorRole.Viewer);
        var signedIn = await browser.SignInFormAsync(email, PageClient.Password, "/dashboard/customers?q=ada");
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        signedIn.Headers.Location!.OriginalString.ShouldBe("/dashboard/customers?q=ada");
        (await browser.GetAsync("/dashboard/customers?q=ada")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Never on to another site.
        using var other = PageClient.SignedOut(server);
        (await other.SignInFormAsync(email, PageClient.Password, "https://evil.example/")).Headers.Location!.OriginalString.ShouldBe("/dashboard");
        using var slashes = PageClient.SignedOut(server);
        (await slashes.SignInFormAsync(email, PageClient.Password, "//evil.example/dashboard")).Headers.Location!.OriginalString.ShouldBe("/dashboard");
    }

    [Fact]
    public async Task Wrong_passwords_in_a_row_lock_the_account_even_against_the_right_one_until_the_lock_ends()
    {
        var email = await PageClient.AddAsync(server, OperatorRole.Admin);
        using var browser = PageClient.SignedOut(server);
        for (var attempt = 1; attempt < 5; attempt++)
        {
            var wrong = await browser.SignInFormAsync(email, "not the password at all");
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            (await wrong.Content.ReadAsStringAsync()).ShouldContain("do not match");
        }

        var fifth = await browser.SignInFormAsync(email, "not the password at all");
        fifth.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        (await fifth.Content.ReadAsStringAsync()).ShouldContain("locked until");
        (await browser.SignInFormAsync(email, PageClient.Password)).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "the right password while locked");
        browser.SessionToken.ShouldBeNull();

        server.Clock.Advance(TimeSpan.FromMinutes(16));
        (await browser.SignInFormAsync(email, PageClient.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await browser.GetAsync("/dashboard")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_unknown_email_is_told_as_a_wrong_password_and_a_forged_sign_in_form_is_refused()
    {
        using var browser = PageClient.SignedOut(server);
        var unknown = await browser.SignInFormAsync("nobody@operators.example", "whatever it is");
        unknown.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await unknown.Content.ReadAsStringAsync()).ShouldContain("That email and password do not match an operator.");

        // A post without the form's own cookie (another site's form) signs no one in, even with the right password.
        var email = await PageClient.AddAsync(server, OperatorRole.Viewer);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var forged = await http.PostAsync("/dashboard/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = "made-up-token-made-up-token-made", ["email"] = email, ["password"] = PageClient.Password,
        }));
        forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        forged.Headers.TryGetValues("Set-Cookie", out var cookies);
        (cookies ?? []).ShouldNotContain(c => c.StartsWith(OperatorGate.CookieName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Signing_out_everywhere_else_ends_the_other_browsers_sessions_at_once_and_keeps_this_one()
    {
        var email = await PageClient.AddAsync(server, OperatorRole.Support);
        using var laptop = await PageClient.SignInAsync(server, email);
        using var phone = await PageClient.SignInAsync(server, email);
        (await phone.GetAsync("/dashboard")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var sessions = await laptop.PageAsync("/dashboard/sessions");
        System.Text.RegularExpressions.Regex.Matches(sessions, "/dashboard/sessions/opss_[a-z0-9]+/end").Count.ShouldBe(1, "the phone's, to end; the laptop's is this browser");

        (await laptop.PostAsync("/dashboard/sessions/end-others")).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        (await phone.GetAsync("/dashboard")).StatusCode.ShouldBe(HttpStatusCode.Redirect, "signed out");
        (await laptop.GetAsync("/dashboard")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await laptop.PostAsync("/dashboard/sign-out")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await laptop.GetAsync("/dashboard")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task Pages_forbid_framing_and_loading_anything_from_elsewhere()
    {
        using var browser = await PageClient.SignInAsync(server, await PageClient.AddAsync(server, OperatorRole.Viewer));
        var home = await browser.GetAsync("/dashboard");
        var policy = home.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldContain("default-src 'self'");
        policy.ShouldContain("script-src 'self'");
        policy.ShouldContain("frame-ancestors 'none'");
        var html = await home.Content.ReadAsStringAsync();
        System.Text.RegularExpressions.Regex.Matches(html, "(src|href)=\"(https?:)?//").Count.ShouldBe(0, "nothing from another origin");
        html.ShouldNotContain("<script>", Case.Insensitive); // no inline script
        html.ShouldNotContain(" style=", Case.Insensitive);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OperatorSignInOnSqlite(SqliteServer server) : OperatorSignInTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OperatorSignInOnPostgres(PostgresServer server) : OperatorSignInTests(server);
