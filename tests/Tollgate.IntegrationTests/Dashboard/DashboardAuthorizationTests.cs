using Tollgate.Web;
using Microsoft.AspNetCore.Routing;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Operators;

namespace Tollgate.IntegrationTests.Dashboard;

/// <summary>
/// Every page and action of the dashboard, with every role: each declares a permission, each role gets exactly what
/// its permissions allow, a refusal changes nothing, and a change without the session's anti-forgery token is refused.
/// </summary>
public abstract class DashboardAuthorizationTests(TollgateServer server)
{
    async Task<(string Customer, string Invoice)> OpenInvoiceAsync()
    {
        var plan = $"dash_{Guid.NewGuid():N}"[..20];
        (await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Dash", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 2900 } } }, publish = true }))
            .Status.ShouldBe(HttpStatusCode.Created);
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Dashboard Customer" })).Id;
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan, trial_days = 0 })).Id;
        var invoice = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data.Single()!;
        invoice["status"]!.GetValue<string>().ShouldBe("open");
        return (customer, invoice["id"]!.GetValue<string>());
    }

    async Task<string> InvoiceStatusAsync(string invoice) => (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Str("status")!;

    static IEnumerable<RouteEndpoint> DashboardEndpoints(TollgateServer server) =>
        server.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Where(e => e.RoutePattern.RawText!.StartsWith("/dashboard", StringComparison.Ordinal));

    [Fact]
    public void Every_page_and_action_declares_who_may_use_it()
    {
        var endpoints = DashboardEndpoints(server).ToList();
        endpoints.Count.ShouldBeGreaterThan(5);
        endpoints.Where(e => e.Metadata.GetMetadata<RequiredOperatorPermission>() is null && e.Metadata.GetMetadata<SignedOutAllowed>() is null)
            .Select(e => e.RoutePattern.RawText).ShouldBeEmpty();
        endpoints.Where(e => e.Metadata.GetMetadata<SignedOutAllowed>() is not null).Select(e => e.RoutePattern.RawText).Distinct().ShouldBe(["/dashboard/sign-in"]);
    }

    [Theory]
    [InlineData(OperatorRole.Owner)]
    [InlineData(OperatorRole.Admin)]
    [InlineData(OperatorRole.Finance)]
    [InlineData(OperatorRole.Support)]
    [InlineData(OperatorRole.Viewer)]
    public async Task Each_role_reaches_exactly_the_pages_and_actions_its_permissions_allow(OperatorRole role)
    {
        var (customer, invoice) = await OpenInvoiceAsync();
        using var browser = await PageClient.SignInAsync(server, await PageClient.AddAsync(server, role));
        var routeValues = new Dictionary<string, string> { ["id"] = customer };

        // Sign-out last: it ends the session the rest use.
        foreach (var endpoint in DashboardEndpoints(server).Where(e => e.Metadata.GetMetadata<SignedOutAllowed>() is null)
                     .OrderBy(e => e.RoutePattern.RawText == "/dashboard/sign-out"))
        {
            var permission = endpoint.Metadata.GetMetadata<RequiredOperatorPermission>()!.Permission;
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single();
            var path = endpoint.RoutePattern.RawText!
                .Replace("{id}", endpoint.RoutePattern.RawText!.StartsWith("/dashboard/invoices", StringComparison.Ordinal) ? invoice
                    : endpoint.RoutePattern.RawText!.StartsWith("/dashboard/sessions", StringComparison.Ordinal) ? "opss_none" : routeValues["id"], StringComparison.Ordinal);
            var answer = method == "GET" ? await browser.GetAsync(path) : await browser.PostAsync(path);
            var allowed = role.Allows(permission);
            if (allowed) answer.StatusCode.ShouldNotBe(HttpStatusCode.Forbidden, $"{role} {method} {path}: {await answer.Content.ReadAsStringAsync()}");
            else answer.StatusCode.ShouldBe(HttpStatusCode.Forbidden, $"{role} {method} {path}");
            answer.StatusCode.ShouldNotBe(HttpStatusCode.InternalServerError);
        }

        (await InvoiceStatusAsync(invoice)).ShouldBe(role.Allows(OperatorPermission.ManageBilling) ? "void" : "open");
    }

    [Fact]
    public async Task A_customers_page_tells_its_story_and_encodes_what_customers_wrote()
    {
        var (customer, invoice) = await OpenInvoiceAsync();
        (await server.Admin.PatchAsync($"/api/v1/customers/{customer}", new { name = "<script>alert(1)</script> & Co" })).Status.ShouldBe(HttpStatusCode.OK);
        var key = await server.Admin.PostAsync("/api/v1/keys", new { name = "Story key", customer_id = customer, kind = "customer" });
        (await server.Admin.PostAsync($"/api/v1/customers/{customer}/members", new { email = "story.member@customers.example", name = "Stella Story", role = "admin" })).Status.ShouldBe(HttpStatusCode.Created);
        using var viewer = await PageClient.SignInAsync(server, await PageClient.AddAsync(server, OperatorRole.Viewer));

        var page = await viewer.PageAsync($"/dashboard/customers/{customer}");
        page.ShouldContain(invoice);
        page.ShouldContain("Story key");
        System.Net.WebUtility.HtmlDecode(page).ShouldContain(key.Str("display")!);
        page.ShouldContain("Stella Story");
        page.ShouldContain("subscription.created");
        page.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co");
        page.ShouldNotContain("<script>alert(1)");
        (await viewer.GetAsync("/dashboard/customers/cus_nobody")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_change_without_the_sessions_token_is_refused_and_changes_nothing()
    {
        var (_, invoice) = await OpenInvoiceAsync();
        using var owner = await PageClient.SignInAsync(server, await PageClient.AddAsync(server, OperatorRole.Owner));
        (await owner.PostAsync($"/dashboard/invoices/{invoice}/void", withToken: false)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.PostAsync($"/dashboard/invoices/{invoice}/void", new Dictionary<string, string> { ["_csrf"] = "forged" }, withToken: false)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        // Another operator's token is not this session's either.
        using var other = await PageClient.SignInAsync(server, await PageClient.AddAsync(server, OperatorRole.Owner));
        (await owner.PostAsync($"/dashboard/invoices/{invoice}/void", new Dictionary<string, string> { ["_csrf"] = FormTokens.Csrf(other.SessionToken!) }, withToken: false))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await InvoiceStatusAsync(invoice)).ShouldBe("open");

        var voided = await owner.PostAsync($"/dashboard/invoices/{invoice}/void");
        voided.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await InvoiceStatusAsync(invoice)).ShouldBe("void");
        var audit = await server.Admin.GetAsync($"/api/v1/audit-log?resource_id={invoice}");
        audit.Data.Select(a => (a!["action"]!.GetValue<string>(), a["actor_type"]!.GetValue<string>())).ShouldContain(("invoice.voided", "operator"));

        // The invoices page finds it by customer and status, and the audit log page shows who voided it.
        var customer = (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Str("customer_id")!;
        (await owner.PageAsync($"/dashboard/invoices?customer_id={customer}&status=void")).ShouldContain(invoice);
        (await owner.PageAsync($"/dashboard/invoices?customer_id={customer}&status=open")).ShouldNotContain(invoice);
        var trail = await owner.PageAsync($"/dashboard/audit?resource_id={invoice}");
        trail.ShouldContain("invoice.voided");
        trail.ShouldContain("operator opr_");
        (await owner.GetAsync("/dashboard/invoices?status=sideways&cursor=%00")).StatusCode.ShouldNotBe(HttpStatusCode.InternalServerError);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class DashboardAuthorizationOnSqlite(SqliteServer server) : DashboardAuthorizationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class DashboardAuthorizationOnPostgres(PostgresServer server) : DashboardAuthorizationTests(server);
