namespace Tollgate.Webhooks;

/// <summary>How outbound webhooks are delivered (docs/webhooks.md).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Whether endpoints may be on loopback or private networks (the operator's own); link-local and metadata addresses never.</summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>How often each node looks for events to fan out and messages due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long one attempt may take, from connecting to the last byte of the answer.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts in flight on a node at once.</summary>
    public int Concurrency { get; set; } = 256;

    /// <summary>Attempts in flight to one endpoint on a node at once: a slow endpoint holds no more of the node than this.</summary>
    public int ConcurrencyPerEndpoint { get; set; } = 64;

    /// <summary>How long a rotated secret still signs beside its successor.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An endpoint whose every attempt failed for this long is disabled.</summary>
    public TimeSpan DisableAfterFailingFor { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long attempts (the delivery log) are kept.</summary>
    public TimeSpan AttemptRetention { get; set; } = TimeSpan.FromDays(30);

    public Outbound.OutboundPolicy Outbound() => new(AllowPrivateAddresses, "Webhooks:AllowPrivateAddresses");
}
