using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Tollgate.Billing;

/// <summary>The <c>Billing</c> configuration section.</summary>
public sealed partial class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>Invoice numbers are this prefix, a dash and a gapless sequence of six digits or more: <c>TG-000001</c>.</summary>
    public string InvoicePrefix { get; set; } = "TG";

    /// <summary>
    /// The operator's country (ISO 3166-1 alpha-2). A business customer elsewhere with a tax id is then invoiced under
    /// reverse charge, with no tax; unset, no invoice is.
    /// </summary>
    public string? Country { get; set; }

    /// <summary>How often every node runs the invoice run by itself (safe on several nodes at once); zero turns it off.</summary>
    public TimeSpan RunEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Dunning: days between a failed payment and each retry (default 3, 5 and 7 days apart).</summary>
    public int[] RetryDays { get; set; } = [3, 5, 7];

    /// <summary>
    /// Days of access after the last retry, before dunning gives up: the subscription is canceled and the invoice marked
    /// uncollectible.
    /// </summary>
    public int GraceDays { get; set; }

    /// <summary>
    /// The plan a customer falls back to when dunning gives up on its subscription (a free plan: no prices, or a price of
    /// 0 in the customer's currency): a new subscription on it, active at once. Unset, the customer is left with no plan.
    /// </summary>
    public string? FallbackPlan { get; set; }

    /// <summary>
    /// How long after a period ends its invoice waits for late usage (events stamped in the period that arrive after it):
    /// the invoice run bills the period only once this has passed. Access goes on meanwhile. A trial's end is not delayed.
    /// </summary>
    public TimeSpan InvoiceGrace { get; set; }

    /// <summary>The Chromium that prints invoice PDFs (Debian's <c>chromium</c> package); without it invoices have HTML pages only.</summary>
    public string ChromiumPath { get; set; } = "/usr/bin/chromium";

    /// <summary>The seller an invoice names: <c>Billing:Seller:Name</c>, <c>:Address</c>, <c>:Email</c>, <c>:TaxId</c>.</summary>
    public Invoices.SellerOptions Seller { get; set; } = new();

    [GeneratedRegex("^[A-Z0-9]{1,12}$")]
    internal static partial Regex PrefixShape();
}

sealed class BillingOptionsValidation : IValidateOptions<BillingOptions>
{
    public ValidateOptionsResult Validate(string? name, BillingOptions options)
    {
        var errors = new List<string>();
        if (!BillingOptions.PrefixShape().IsMatch(options.InvoicePrefix)) errors.Add("Billing:InvoicePrefix must be 1 to 12 upper-case letters or digits.");
        if (options.Country is not null && Common.Countries.Normalize(options.Country) is null) errors.Add("Billing:Country must be an ISO 3166-1 alpha-2 code.");
        if (options.RetryDays.Length > 10 || options.RetryDays.Any(d => d is < 1 or > 60)) errors.Add("Billing:RetryDays must hold at most 10 numbers of days from 1 to 60.");
        if (options.GraceDays is < 0 or > 90) errors.Add("Billing:GraceDays must be between 0 and 90.");
        if (options.InvoiceGrace < TimeSpan.Zero || options.InvoiceGrace > TimeSpan.FromDays(7)) errors.Add("Billing:InvoiceGrace must be between 00:00:00 and 7.00:00:00.");
        if (options.RunEvery != TimeSpan.Zero && (options.RunEvery < TimeSpan.FromMinutes(1) || options.RunEvery > TimeSpan.FromDays(1)))
            errors.Add("Billing:RunEvery must be 00:00:00 (off) or from one minute to one day.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
