using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Tollgate.Billing;

/// <summary>The <c>Billing</c> configuration section.</summary>
public sealed partial class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>Invoice numbers are this prefix, a dash and a gapless sequence of six digits or more: <c>TG-000001</c>.</summary>
    public string InvoicePrefix { get; set; } = "TG";

    [GeneratedRegex("^[A-Z0-9]{1,12}$")]
    internal static partial Regex PrefixShape();
}

sealed class BillingOptionsValidation : IValidateOptions<BillingOptions>
{
    public ValidateOptionsResult Validate(string? name, BillingOptions options) =>
        BillingOptions.PrefixShape().IsMatch(options.InvoicePrefix)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Billing:InvoicePrefix must be 1 to 12 upper-case letters or digits.");
}
