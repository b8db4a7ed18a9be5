using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>What the billing tests do over and over: send a customer's usage, move a test clock.</summary>
public static class BillingTestKit
{
    /// <summary>Sends <paramref name="count"/> events of <paramref name="metric"/> stamped <paramref name="at"/>, a thousand to a batch, and checks every one was accepted.</summary>
    public static async Task SendUsageAsync(this ApiClient client, string customer, string metric, int count, DateTimeOffset at)
    {
        foreach (var events in Enumerable.Range(0, count).Select(_ => new { id = $"evt-{Guid.NewGuid():N}", code = metric, customer_id = customer, timestamp = at }).Chunk(1000))
        {
            var posted = await client.PostAsync("/api/v1/events/batch", new { events });
            posted.Status.ShouldBe(HttpStatusCode.OK, posted.Body?.ToJsonString());
            posted.Body!["accepted"]!.GetValue<int>().ShouldBe(events.Length, posted.Body.ToJsonString());
        }
    }

    public static async Task AdvanceClockAsync(this ApiClient client, string clock, DateTimeOffset to)
    {
        var advanced = await client.PostAsync($"/api/v1/test-clocks/{clock}/advance", new { frozen_time = to });
        advanced.Status.ShouldBe(HttpStatusCode.OK, advanced.Body?.ToJsonString());
    }
}
