using Microsoft.AspNetCore.Routing;
using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Portal;

namespace Tollgate.IntegrationTests.Portal;

/// <summary>
/// The customer portal over real HTTP: links minted for one customer work once and for minutes, a portal never shows
/// or changes another customer's data, every page and action declares its permission and each member role gets what
/// its permissions allow, and a preview and the change it previews bill the same.
/// </summary>
public abstract class PortalTests(TollgateServer server)
{
    [Fact]
    public async Task A_portal_link_works_once_and_for_minutes_and_only_admin_keys_mint_one()
    {
        var customer = await PortalKit.CustomerAsync(server);
        var link = await server.Admin.PostAsync("/api/v1/portal-sessions", new { customer_id = customer.Id, return_url = "https://app.example.com/account" });
        link.Status.ShouldBe(HttpStatusCode.Created);
        link.Body!["expires_at"]!.GetValue<DateTimeOffset>().ShouldBe(server.Clock.GetUtcNow().AddMinutes(5), TimeSpan.FromSeconds(1));
        var url = link.Str("url")!;
        url.ShouldStartWith($"{server.BaseAddress.GetLeftPart(UriPartial.Authority)}/portal/enter/tgpl_");

        var (first, entered) = await PageClient.EnterPortalAsync(server, url);
        entered.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await first.PageAsync("/portal")).ShouldContain(customer.Name);
        var (_, again) = await PageClient.EnterPortalAsync(server, url);
        again.StatusCode.ShouldBe(HttpStatusCode.Gone, "a link works once");

        var late = await server.Admin.PostAsync("/api/v1/portal-sessions", new { customer_id = customer.Id });
        server.Clock.Advance(TimeSpan.FromMinutes(6));
        (await PageClient.EnterPortalAsync(server, late.Str("url")!)).Answer.StatusCode.ShouldBe(HttpStatusCode.Gone, "and for five minutes");
        (await PageClient.EnterPortalAsync(server, $"{server.BaseAddress}portal/enter/tgpl_made_up")).Answer.StatusCode.ShouldBe(HttpStatusCode.Gone);

        (await server.Admin.PostAsync("/api/v1/portal-sessions", new { customer_id = "cus_nobody" })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.PostAsync("/api/v1/portal-sessions", new { customer_id = customer.Id, return_url = "javascript:alert(1)" })).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await server.Admin.PostAsync("/api/v1/portal-sessions", new { })).Status.ShouldBe(HttpStatusCode.BadRequest);
        var own = await server.CustomerAsync(null, scopes: ["customer:read", "keys:write"]);
        (await server.Client(own.Key).PostAsync("/api/v1/portal-sessions", new { customer_id = own.Id })).Status.ShouldBe(HttpStatusCode.Forbidden);
        using var signedOut = PageClient.SignedOut(server);
        (await signedOut.GetAsync("/portal")).Headers.Location!.OriginalString.ShouldBe("/portal/sign-in");
    }

    [Fact]
    public async Task A_customers_portal_never_shows_or_changes_another_customers_data()
    {
        var mine = await PortalKit.CustomerAsync(server);
        var theirs = await PortalKit.CustomerAsync(server);
        var theirInvoice = (await server.Admin.GetAsync($"/api/v1/invoices?customer_id={theirs.Id}")).Data.First()!["id"]!.GetValue<string>();
        var theirKey = (await server.Admin.PostAsync("/api/v1/keys", new { name = "Theirs", customer_id = theirs.Id, kind = "customer" })).Id;
        using var portal = await PageClient.PortalAsync(server, mine.Id);

        foreach (var path in new[] { "/portal", "/portal/plan", "/portal/invoices", "/portal/keys", "/portal/team" })
        {
            var html = await portal.PageAsync(path);
            html.ShouldNotContain(theirs.Name);
            html.ShouldNotContain(theirs.Id);
            html.ShouldNotContain(theirInvoice);
            html.ShouldNotContain(theirKey);
        }

        (await portal.GetAsync($"/portal/invoices/{theirInvoice}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await portal.GetAsync($"/portal/invoices/{theirInvoice}/pdf")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await portal.PostAsync($"/portal/keys/{theirKey}/revoke")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // A key of mine the operator made with more than the portal grants is not the portal's to rotate (its secret would show) or revoke.
        var wider = (await server.Admin.PostAsync("/api/v1/keys", new { name = "Wider", customer_id = mine.Id, kind = "customer", scopes = new[] { "gateway", "keys:write" } })).Id;
        (await portal.PostAsync($"/portal/keys/{wider}/rotate")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await portal.PostAsync($"/portal/keys/{wider}/revoke")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.GetAsync($"/api/v1/keys/{wider}")).Str("status").ShouldBe("active");
        (await portal.PostAsync($"/portal/keys/{theirKey}/rotate")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.GetAsync($"/api/v1/keys/{theirKey}")).Str("status").ShouldBe("active");
        (await portal.PostAsync("/portal/plan/change", new Dictionary<string, string> { ["plan"] = theirs.Big })).StatusCode.ShouldBe(HttpStatusCode.Redirect, "a plan of the catalog, for my subscription");
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{mine.Subscription}")).Str("plan").ShouldBe(theirs.Big);
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{theirs.Subscription}")).Str("plan").ShouldBe(theirs.Small);

        // A change without the session's token changes nothing either.
        (await portal.PostAsync("/portal/cancel", new Dictionary<string, string> { ["reason"] = "other" }, withToken: false)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{mine.Subscription}")).Body!["cancel_at_period_end"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task The_preview_and_the_change_bill_the_same_to_the_cent_and_the_new_invoice_is_in_the_portal()
    {
        var customer = await PortalKit.CustomerAsync(server);
        server.Clock.Advance(TimeSpan.FromDays(10));
        using var portal = await PageClient.PortalAsync(server, customer.Id);
        var preview = await portal.PostAsync("/portal/plan/preview", new Dictionary<string, string> { ["plan"] = customer.Big });
        var page = await preview.Content.ReadAsStringAsync();
        preview.StatusCode.ShouldBe(HttpStatusCode.OK, page);
        var due = System.Text.RegularExpressions.Regex.Match(page, "Due now</th><td class=\"num\"><strong>([^<]+)</strong>").Groups[1].Value;
        due.ShouldStartWith("USD ");
        page.ShouldNotContain("proration_date", customMessage: "the preview's instant stays on the server");

        server.Clock.Advance(TimeSpan.FromMinutes(20)); // the customer reads the preview a while before confirming
        // An instant the browser names is never the proration's: a downgrade backdated to the period's start would credit time used.
        var changed = await portal.PostAsync("/portal/plan/change", new Dictionary<string, string>
        {
            ["plan"] = customer.Big, ["proration_date"] = server.Clock.GetUtcNow().AddDays(-10).ToString("O"),
        });
        changed.StatusCode.ShouldBe(HttpStatusCode.Redirect, await changed.Content.ReadAsStringAsync());
        (await server.Admin.GetAsync($"/api/v1/subscriptions/{customer.Subscription}")).Str("plan").ShouldBe(customer.Big);
        var newest = (await server.Admin.GetAsync($"/api/v1/invoices?customer_id={customer.Id}")).Data.First()!;
        Tollgate.Common.Money.Format(newest["amount_due"]!.GetValue<long>(), "USD").ShouldBe(System.Net.WebUtility.HtmlDecode(due));
        (await portal.PageAsync("/portal/invoices")).ShouldContain(newest["number"]!.GetValue<string>());
        (await portal.GetAsync($"/portal/invoices/{newest["id"]!.GetValue<string>()}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Confirmed long after its preview, a change is prorated when it is made, not when it was previewed.
        var late = await portal.PostAsync("/portal/plan/preview", new Dictionary<string, string> { ["plan"] = customer.Small });
        late.StatusCode.ShouldBe(HttpStatusCode.OK);
        server.Clock.Advance(Tollgate.Portal.PortalSessions.PreviewHolds + TimeSpan.FromMinutes(1));
        (await portal.GetAsync("/portal")).StatusCode.ShouldBe(HttpStatusCode.OK); // still signed in: the session was used within the hour
        (await portal.PostAsync("/portal/plan/change", new Dictionary<string, string> { ["plan"] = customer.Small })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var subscription = await server.Admin.GetAsync($"/api/v1/subscriptions/{customer.Subscription}");
        subscription.Str("plan").ShouldBe(customer.Small);
        subscription.Body!["usage_from"]!.GetValue<DateTimeOffset>().ShouldBe(server.Clock.GetUtcNow(), "prorated now");
    }

    static IEnumerable<RouteEndpoint> PortalEndpoints(TollgateServer server) =>
        server.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Where(e => e.RoutePattern.RawText!.StartsWith("/portal", StringComparison.Ordinal));

    [Fact]
    public void Every_portal_page_and_action_declares_who_may_use_it()
    {
        var endpoints = PortalEndpoints(server).ToList();
        endpoints.Where(e => e.Metadata.GetMetadata<RequiredPortalPermission>() is null && e.Metadata.GetMetadata<PortalEntrance>() is null)
            .Select(e => e.RoutePattern.RawText).ShouldBeEmpty();
        endpoints.Where(e => e.Metadata.GetMetadata<PortalEntrance>() is not null).Select(e => e.RoutePattern.RawText).Distinct().Order()
            .ShouldBe(["/portal/enter/{token}", "/portal/invitations/accept", "/portal/sign-in"]);
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("admin")]
    [InlineData("billing")]
    [InlineData("member")]
    [InlineData("viewer")]
    public async Task Each_member_role_reaches_exactly_what_its_permissions_allow(string role)
    {
        var customer = await PortalKit.CustomerAsync(server);
        using var owner = await PageClient.PortalAsync(server, customer.Id);
        var (member, _) = await PortalKit.MemberAsync(server, owner, role);
        using var _member = member;
        var parsed = Enum.Parse<Tollgate.Customers.Role>(role, ignoreCase: true);
        var invoice = (await server.Admin.GetAsync($"/api/v1/invoices?customer_id={customer.Id}")).Data.First()!["id"]!.GetValue<string>();
        var key = (await server.Admin.PostAsync("/api/v1/keys", new { name = "Team key", customer_id = customer.Id, kind = "customer" })).Id;
        var forms = new Dictionary<string, Dictionary<string, string>>
        {
            ["/portal/cancel"] = new() { ["reason"] = "other" },
            ["/portal/plan/preview"] = new() { ["plan"] = customer.Big },
            ["/portal/plan/change"] = new() { ["plan"] = customer.Big },
            ["/portal/keys"] = new() { ["name"] = "Made by a member" },
            ["/portal/team/invitations"] = new() { ["email"] = $"x.{Guid.NewGuid():N}@team.example", ["role"] = "viewer" },
        };

        // Cancelling, then signing out, last: one ends the subscription the plan change needs, the other the session the rest use.
        foreach (var endpoint in PortalEndpoints(server).Where(e => e.Metadata.GetMetadata<PortalEntrance>() is null)
                     .OrderBy(e => e.RoutePattern.RawText switch { "/portal/sign-out" => 2, "/portal/cancel" => 1, _ => 0 }))
        {
            var permission = endpoint.Metadata.GetMetadata<RequiredPortalPermission>()!.Permission;
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single();
            var path = endpoint.RoutePattern.RawText!.Replace("{id}", endpoint.RoutePattern.RawText.StartsWith("/portal/keys", StringComparison.Ordinal) ? key : invoice, StringComparison.Ordinal);
            var answer = method == "GET" ? await member.GetAsync(path) : await member.PostAsync(path, forms.GetValueOrDefault(path));
            answer.StatusCode.ShouldNotBe(HttpStatusCode.InternalServerError, $"{role} {method} {path}");
            if (parsed.Allows(permission)) answer.StatusCode.ShouldNotBe(HttpStatusCode.Forbidden, $"{role} {method} {path}: {await answer.Content.ReadAsStringAsync()}");
            else answer.StatusCode.ShouldBe(HttpStatusCode.Forbidden, $"{role} {method} {path}");
        }

        (await server.Admin.GetAsync($"/api/v1/subscriptions/{customer.Subscription}")).Str("plan")
            .ShouldBe(parsed.Allows(PortalPermission.ManageBilling) ? customer.Big : customer.Small);
    }

    [Fact]
    public async Task A_member_signs_in_with_the_password_it_chose_and_wrong_ones_lock_it_out()
    {
        var customer = await PortalKit.CustomerAsync(server);
        using var owner = await PageClient.PortalAsync(server, customer.Id);
        var (_, email) = await PortalKit.MemberAsync(server, owner, "viewer");
        using var browser = PageClient.SignedOut(server);
        (await browser.PortalSignInAsync(email, PageClient.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await browser.PageAsync("/portal")).ShouldContain(customer.Name);

        using var other = PageClient.SignedOut(server);
        for (var i = 1; i < 5; i++) (await other.PortalSignInAsync(email, "a wrong password")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await other.PortalSignInAsync(email, "a wrong password")).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        (await other.PortalSignInAsync(email, PageClient.Password)).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "locked, even with the right one");
        (await other.PortalSignInAsync("nobody@team.example", PageClient.Password)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PortalOnSqlite(SqliteServer server) : PortalTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PortalOnPostgres(PostgresServer server) : PortalTests(server);
