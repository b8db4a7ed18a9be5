using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Portal;

/// <summary>A customer on a small plan with a quota of 10 documents a month, a bigger plan beside it, and the customer's first invoice.</summary>
public sealed record PortalCustomer(string Id, string Name, string Metric, string Feature, string Small, string Big, string Subscription);

public static class PortalKit
{
    public static async Task<PortalCustomer> CustomerAsync(TollgateServer server, string? name = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (metric, feature, small, big) = ($"pdocs_{suffix}", $"pdocs_month_{suffix}", $"psmall_{suffix}", $"pbig_{suffix}");
        object Plan(string code, string title, long amount, long limit) => new
        {
            code, name = title, prices = new[] { new { interval = "month", currency = "USD", amount } },
            entitlements = new[] { new { feature, limit, enforcement = "soft" } },
        };
        (await server.Admin.PostAsync("/api/v1/catalog/apply", new
        {
            metrics = new[] { new { code = metric, name = "Documents", @event = metric, aggregation = "count" } },
            features = new[] { new { code = feature, name = "Documents a month", type = "quota", metric, reset_period = "month" } },
            plans = new[] { Plan(small, $"Small {suffix}", 1_000, 10), Plan(big, $"Big {suffix}", 5_000, 100) },
        })).Status.ShouldBe(HttpStatusCode.OK);
        name ??= $"Portal Customer {suffix}";
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name, email = $"owner.{suffix}@customers.example", currency = "USD" })).Id;
        var subscription = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan = small, trial_days = 0 });
        subscription.Status.ShouldBe(HttpStatusCode.Created, subscription.Body?.ToJsonString());
        return new PortalCustomer(customer, name, metric, feature, small, big, subscription.Id);
    }

    public static async Task UseAsync(TollgateServer server, PortalCustomer customer, int documents)
    {
        var events = Enumerable.Range(0, documents).Select(_ => new { id = Guid.NewGuid().ToString("N"), code = customer.Metric, customer_id = customer.Id }).ToArray();
        (await server.Admin.PostAsync("/api/v1/events/batch", new { events })).Body!["accepted"]!.GetValue<int>().ShouldBe(documents);
    }

    /// <summary>Invites <paramref name="role"/> from the owner's portal and accepts: a member's portal client, signed in.</summary>
    public static async Task<(PageClient Member, string Email)> MemberAsync(TollgateServer server, PageClient owner, string role)
    {
        var email = $"{role}.{Guid.NewGuid():N}@team.example";
        var invited = await owner.PostAsync("/portal/team/invitations", new Dictionary<string, string> { ["email"] = email, ["role"] = role });
        var page = await invited.Content.ReadAsStringAsync();
        invited.StatusCode.ShouldBe(HttpStatusCode.OK, page);
        var link = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(page, "id=\"invitation-link\" readonly value=\"([^\"]+)\"").Groups[1].Value);
        link.ShouldContain("/portal/invitations/accept?token=");
        var member = PageClient.SignedOut(server);
        (await member.AcceptInvitationAsync(link, $"A {role}", PageClient.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        member.PortalToken.ShouldNotBeNull();
        return (member, email);
    }
}
