using System.Text.Json.Nodes;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Payments;

/// <summary>
/// The API calls every provider's payment tests make, over real HTTP with the server's test-mode admin key: a plan of
/// its own, a customer on a test clock (put on a provider by the operator when the routing rules would choose another),
/// a checkout, and the customer's subscriptions, invoices and payments as the API lists them.
/// </summary>
public sealed class PaymentScenario(TollgateServer server)
{
    /// <summary>Midnight UTC of a day in 2027, the year every payment test's clocks run in.</summary>
    public static DateTimeOffset At(int month, int day) => new(2027, month, day, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A monthly plan of its own (its code starts with <paramref name="prefix"/>), so tests never share one.</summary>
    public async Task<string> PlanAsync(string prefix, string currency, long amount, int trialDays = 0, string name = "Pro")
    {
        var plan = $"{prefix}_{Guid.NewGuid():N}"[..20];
        var applied = await server.TestAdmin.PostAsync("/api/v1/catalog/apply", new
        {
            plans = new[] { new { code = plan, name, trial_days = trialDays, prices = new[] { new { interval = "month", currency, amount } } } },
        });
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());
        return plan;
    }

    /// <summary>A customer on a test clock frozen at <paramref name="at"/> (1 January unless told), on <paramref name="provider"/> when given.</summary>
    public async Task<(string Clock, string Customer)> CustomerAsync(string name, string? email, string country, DateTimeOffset? at = null, string? provider = null)
    {
        var clock = (await server.TestAdmin.PostAsync("/api/v1/test-clocks", new { frozen_time = at ?? At(1, 1) })).Id;
        var customer = await server.TestAdmin.PostAsync("/api/v1/customers", new { name, email, country, test_clock_id = clock });
        customer.Status.ShouldBe(HttpStatusCode.Created, customer.Body?.ToJsonString());
        if (provider is not null)
        {
            var chosen = await server.TestAdmin.PutAsync($"/api/v1/customers/{customer.Id}/payment-account", new { provider });
            chosen.Status.ShouldBe(HttpStatusCode.OK, chosen.Body?.ToJsonString());
        }

        return (clock, customer.Id);
    }

    public Task<ApiResponse> CheckoutAsync(
        string customer, string plan, string? currency = null, string successUrl = "https://app.example.com/paid", string cancelUrl = "https://app.example.com/pricing") =>
        server.TestAdmin.PostAsync("/api/v1/checkout-sessions", new { customer_id = customer, plan, interval = "month", currency, success_url = successUrl, cancel_url = cancelUrl });

    /// <summary>The customer's one subscription.</summary>
    public async Task<JsonNode> SubscriptionAsync(string customer) =>
        (await server.TestAdmin.GetAsync($"/api/v1/subscriptions?customer_id={customer}")).Data.ShouldHaveSingleItem()!;

    public async Task<string> StatusAsync(string customer) => (await SubscriptionAsync(customer))["status"]!.GetValue<string>();

    /// <summary>The customer's invoices, oldest first.</summary>
    public async Task<List<JsonNode>> InvoicesAsync(string customer) =>
        [.. (await server.TestAdmin.GetAsync($"/api/v1/invoices?customer_id={customer}&limit=100")).Data.Select(i => i!).OrderBy(i => i["created_at"]!.GetValue<DateTimeOffset>())];

    /// <summary>The customer's payments, oldest first (the API lists the newest first).</summary>
    public async Task<List<JsonNode>> PaymentsAsync(string customer) =>
        [.. (await server.TestAdmin.GetAsync($"/api/v1/payments?customer_id={customer}")).Data.Select(p => p!).Reverse()];

    /// <summary>What the webhook receiver did with a delivery it accepted: <c>applied</c>, <c>unchanged</c>, <c>duplicate</c>, …</summary>
    public static async Task<string> OutcomeAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["outcome"]!.GetValue<string>();
    }
}
