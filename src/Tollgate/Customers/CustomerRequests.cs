using Tollgate.Common;

namespace Tollgate.Customers;

public sealed record CreateCustomerRequest(
    string? Name,
    string? ExternalId = null,
    string? Email = null,
    string? Country = null,
    string? Currency = null,
    Dictionary<string, string>? Metadata = null,
    string? Plan = null,
    string? Region = null,
    string? TaxId = null,
    bool? TaxExempt = null,
    string? TestClockId = null);

/// <summary>Absent fields stay as they are; an empty string clears an optional field or a metadata key.</summary>
public sealed record UpdateCustomerRequest(
    string? Name = null,
    string? ExternalId = null,
    string? Email = null,
    string? Country = null,
    string? Currency = null,
    Dictionary<string, string>? Metadata = null,
    string? Plan = null,
    string? Region = null,
    string? TaxId = null,
    bool? TaxExempt = null);

/// <summary>Checks customer requests and produces the record to store: pure, so it is tested without a database.</summary>
public static class CustomerRules
{
    public static Result<Customer> ForCreate(CreateCustomerRequest request, string id, DateTimeOffset now)
    {
        var check = Check(request.Name, required: true, request.ExternalId, request.Email, request.Country, request.Currency, request.Metadata);
        CheckTax(check, request.Region, request.TaxId);
        if (check.Failed) return check.ToError();

        var country = Countries.Normalize(request.Country);
        return new Customer
        {
            Id = id,
            ExternalId = Blank(request.ExternalId),
            Name = request.Name!.Trim(),
            Email = Blank(request.Email)?.ToLowerInvariant(),
            Country = country,
            Currency = Currencies.Normalize(request.Currency) ?? Currencies.DefaultFor(country),
            Metadata = Merge(new Dictionary<string, string>(), request.Metadata),
            Plan = Blank(request.Plan),
            Region = Blank(request.Region)?.ToUpperInvariant(),
            TaxId = Blank(request.TaxId),
            TaxExempt = request.TaxExempt ?? false,
            TestClockId = Blank(request.TestClockId),
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    public static Result<Customer> ForUpdate(Customer current, UpdateCustomerRequest request, DateTimeOffset now)
    {
        var check = Check(request.Name, required: false, request.ExternalId, request.Email, request.Country, request.Currency, request.Metadata);
        if (request.Name is not null && string.IsNullOrWhiteSpace(request.Name)) check.Add("name", "cannot be empty.");
        if (request.Currency is "") check.Add("currency", "cannot be empty.");
        CheckTax(check, request.Region, request.TaxId);
        if (check.Failed) return check.ToError();

        return current with
        {
            Name = request.Name?.Trim() ?? current.Name,
            ExternalId = request.ExternalId is null ? current.ExternalId : Blank(request.ExternalId),
            Email = request.Email is null ? current.Email : Blank(request.Email)?.ToLowerInvariant(),
            Country = request.Country is null ? current.Country : Countries.Normalize(request.Country),
            Currency = Currencies.Normalize(request.Currency) ?? current.Currency,
            Metadata = Merge(new Dictionary<string, string>(current.Metadata), request.Metadata),
            Plan = request.Plan is null ? current.Plan : Blank(request.Plan),
            Region = request.Region is null ? current.Region : Blank(request.Region)?.ToUpperInvariant(),
            TaxId = request.TaxId is null ? current.TaxId : Blank(request.TaxId),
            TaxExempt = request.TaxExempt ?? current.TaxExempt,
            UpdatedAt = now,
        };
    }

    static void CheckTax(Validation check, string? region, string? taxId)
    {
        if (!string.IsNullOrEmpty(region) && (region.Length > 3 || !region.All(char.IsAsciiLetterOrDigit)))
            check.Add("region", "must be a region code of 1 to 3 letters or digits (ISO 3166-2, without the country: 'KA', 'CA').");
        check.Text("tax_id", taxId, required: false, 40);
    }

    static Validation Check(
        string? name, bool required, string? externalId, string? email, string? country, string? currency,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var check = new Validation()
            .Text("name", name, required, 200)
            .Text("external_id", externalId, required: false, 200)
            .Email("email", email, required: false)
            .Metadata("metadata", metadata);
        if (externalId is not null && Ids.IsCustomerId(externalId.Trim()))
        {
            check.Add("external_id", $"cannot start with '{Ids.Customer}_': that is how Tollgate's own customer ids start, and the two must never be confused.");
        }

        if (!string.IsNullOrEmpty(country) && Countries.Normalize(country) is null) check.Add("country", $"'{country}' is not an ISO 3166-1 alpha-2 country code.");
        if (!string.IsNullOrEmpty(currency) && Currencies.Normalize(currency) is null) check.Add("currency", $"'{currency}' is not an ISO 4217 currency code.");
        return check;
    }

    static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    static Dictionary<string, string> Merge(Dictionary<string, string> metadata, IReadOnlyDictionary<string, string>? changes)
    {
        foreach (var (key, value) in changes ?? new Dictionary<string, string>())
        {
            if (value.Length == 0) metadata.Remove(key);
            else metadata[key] = value;
        }

        return metadata;
    }
}
