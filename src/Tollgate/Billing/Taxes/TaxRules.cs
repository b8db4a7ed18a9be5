using Tollgate.Billing.Invoices;

namespace Tollgate.Billing.Taxes;

/// <summary>A tax rate the operator set: it applies to customers of its country, and of its region when it names one.</summary>
public sealed record TaxRate(string Code, string Country, string? Region, decimal Percentage, bool Inclusive, string? Id = null, DateTimeOffset? CreatedAt = null);

/// <summary>Where a customer is and what it says of itself for tax.</summary>
public sealed record TaxSubject(string? Country, string? Region, bool Exempt = false, string? TaxId = null);

/// <summary>The rates an invoice carries, or why it carries none.</summary>
public sealed record TaxDecision(IReadOnlyList<AppliedTaxRate> Rates, string? Note);

/// <summary>
/// Which rates apply to a customer: the rates of its country and region when there are any, otherwise the rates of its
/// country that name no region. So India's GST is set as CGST and SGST for the operator's own state and IGST for the
/// country: a customer in that state pays CGST + SGST, one elsewhere in India IGST. An exempt customer pays none; a
/// business with a tax id in another country than the operator's pays none under reverse charge, and the invoice says so.
/// </summary>
public static class TaxRules
{
    public static TaxDecision For(TaxSubject customer, IReadOnlyList<TaxRate> rates, string? operatorCountry)
    {
        if (customer.Exempt) return new TaxDecision([], "Exempt from tax.");
        if (customer.Country is null) return new TaxDecision([], null);
        if (customer.TaxId is not null && operatorCountry is not null && !Same(customer.Country, operatorCountry))
        {
            return new TaxDecision([], $"Reverse charge: tax to be accounted for by the recipient ({customer.TaxId}).");
        }

        var inCountry = rates.Where(r => Same(r.Country, customer.Country)).ToList();
        var regional = customer.Region is null ? [] : inCountry.Where(r => r.Region is not null && Same(r.Region, customer.Region)).ToList();
        var chosen = regional.Count > 0 ? regional : inCountry.Where(r => r.Region is null).ToList();
        return new TaxDecision([.. chosen.OrderBy(r => r.Code, StringComparer.Ordinal).Select(r => new AppliedTaxRate(r.Code, r.Percentage, r.Inclusive))], null);
    }

    static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
