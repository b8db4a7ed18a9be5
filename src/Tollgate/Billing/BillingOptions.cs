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
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
