using System.Text.Json.Serialization;

namespace Tollgate.Webhooks.Endpoints;

/// <summary>
/// Where events are sent: the operator's endpoint (no <see cref="CustomerId"/>) hears every event; a customer's
/// hears only that customer's. <see cref="Events"/> are the types it subscribes to, by name or pattern. Its secret
/// is never shown again after it is made (created or rotated), and is kept sealed.
/// </summary>
public sealed record WebhookEndpoint
{
    public required string Id { get; init; }
    public string? CustomerId { get; init; }
    public required string Url { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary><c>live</c> or <c>test</c>: the mode of the key that made it (a live endpoint must be https).</summary>
    public required string Mode { get; init; }

    /// <summary><c>enabled</c> or <c>disabled</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Why it was disabled: <c>operator</c>, <c>gone</c> (it answered 410) or <c>failing</c> (every attempt failed for days).</summary>
    public string? DisabledReason { get; init; }

    /// <summary>Since when every attempt to it has failed; null once one succeeds.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore] public string SecretSealed { get; init; } = "";
    [JsonIgnore] public string? PreviousSecretSealed { get; init; }
    [JsonIgnore] public DateTimeOffset? PreviousSecretUntil { get; init; }

    public bool Hears(string type, string? customerId) =>
        Status == "enabled" && (CustomerId is null || CustomerId == customerId) && Events.Any(pattern => EventTypes.Matches(pattern, type));
}

/// <summary>An endpoint as made or rotated: with its secret, shown this once.</summary>
public sealed record WebhookEndpointWithSecret(
    string Id, string? CustomerId, string Url, string? Description, IReadOnlyList<string> Events, string Mode, string Status, string Secret, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static WebhookEndpointWithSecret Of(WebhookEndpoint e, string secret) =>
        new(e.Id, e.CustomerId, e.Url, e.Description, e.Events, e.Mode, e.Status, secret, e.CreatedAt, e.UpdatedAt);
}

public sealed record CreateWebhookEndpointRequest(string? Url, IReadOnlyList<string>? Events, string? Description, string? CustomerId);

public sealed record UpdateWebhookEndpointRequest(string? Url, IReadOnlyList<string>? Events, string? Description);
