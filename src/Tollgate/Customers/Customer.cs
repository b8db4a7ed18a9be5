namespace Tollgate.Customers;

/// <summary>An organisation that buys from the operator: the tenant every other record belongs to.</summary>
public sealed record Customer
{
    public required string Id { get; init; }

    /// <summary>The operator's own id for this customer, unique across customers.</summary>
    public string? ExternalId { get; init; }
    public required string Name { get; init; }
    public string? Email { get; init; }

    /// <summary>ISO 3166-1 alpha-2.</summary>
    public string? Country { get; init; }

    /// <summary>The region within the country (ISO 3166-2 subdivision: <c>KA</c>, <c>CA</c>), for taxes that depend on it.</summary>
    public string? Region { get; init; }

    /// <summary>The customer's own tax id (VAT, GSTIN…): a business abroad with one is invoiced under reverse charge.</summary>
    public string? TaxId { get; init; }

    /// <summary>Exempt from tax: invoices carry none.</summary>
    public bool TaxExempt { get; init; }

    /// <summary>
    /// The test clock this customer lives on, set at creation and never after: its billing runs at the clock's time,
    /// when the clock is advanced, and never by the scheduled invoice run. A customer on a clock is a test customer.
    /// </summary>
    public string? TestClockId { get; init; }

    /// <summary>ISO 4217: the currency this customer is billed in.</summary>
    public required string Currency { get; init; }

    /// <summary>
    /// The code of the plan this customer is on: it decides which models the gateway serves them and, with the
    /// next issues, their limits. Subscriptions will set it; until then it is set directly.
    /// </summary>
    public string? Plan { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}
