using System.Data.Common;
using Dapper;
using Tollgate.Common;
using Tollgate.Storage;
using Tollgate.Webhooks.Endpoints;

namespace Tollgate.Webhooks.Delivery;

/// <summary>
/// What an attempt's answer says of its endpoint, in the transaction that records the attempt: a success clears its
/// failing streak; the first failure starts one; a 410, or a streak as long as the operator's limit, disables it
/// (what still waits for it is dropped) and tells the operator with a <c>webhook_endpoint.disabled</c> event.
/// </summary>
public static class EndpointHealth
{
    public static async Task AfterAttemptAsync(DbTransaction tx, WebhookEndpoint endpoint, AttemptOutcome outcome, DateTimeOffset now, TimeSpan disableAfter, TimeProvider time)
    {
        var connection = tx.Connection!;
        if (outcome.Succeeded)
        {
            // As stored, not as claimed: an attempt claimed with this one may have started a streak since.
            await connection.ExecuteAsync("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = @Id AND failing_since IS NOT NULL", new { endpoint.Id }, tx);
            return;
        }

        // The streak as stored (another node's attempt may have started or ended it since this one was claimed).
        var stored = await connection.QuerySingleOrDefaultAsync<Streak>(
            "SELECT failing_since FROM webhook_endpoints WHERE id = @Id AND status = 'enabled' AND deleted_at IS NULL", new { endpoint.Id }, tx);
        if (stored is null) return; // disabled or deleted meanwhile
        var failingSince = stored.FailingSince;
        var reason = outcome.Gone ? "gone" : failingSince is { } since && now - since >= disableAfter ? "failing" : null;
        if (reason is null)
        {
            if (failingSince is null) await connection.ExecuteAsync("UPDATE webhook_endpoints SET failing_since = @now WHERE id = @Id AND failing_since IS NULL", new { endpoint.Id, now }, tx);
            return;
        }

        var disabled = await connection.ExecuteAsync(
            "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = @reason, updated_at = @now WHERE id = @Id AND status = 'enabled'", new { endpoint.Id, reason, now }, tx);
        if (disabled == 0) return;
        await DeliveryStore.DropPendingAsync(tx, endpoint.Id, now);
        await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "webhook_endpoint.disabled", null,
            new EndpointDisabled(endpoint.Id, endpoint.Url, endpoint.CustomerId, reason, failingSince, outcome.StatusCode, outcome.Error), now);
    }

    /// <summary>The <c>webhook_endpoint.disabled</c> event, to the operator's endpoints: which endpoint, why (<c>gone</c> or <c>failing</c>), and its last answer.</summary>
    public sealed record EndpointDisabled(string EndpointId, string Url, string? CustomerId, string Reason, DateTimeOffset? FailingSince, int? LastStatusCode, string? LastError);

    sealed class Streak
    {
        public DateTimeOffset? FailingSince { get; init; }
    }
}
