using Tollgate.Billing.Taxes;

namespace Tollgate.Tests.Billing;

public class TaxRulesTests
{
    static readonly TaxRate[] Rates =
    [
        new("CGST", "IN", "KA", 9, false), new("SGST", "IN", "KA", 9, false), new("IGST", "IN", null, 18, false),
        new("VAT", "DE", null, 19, true), new("SALES", "US", "CA", 7.25m, false),
    ];

    [Fact]
    public void A_customer_in_the_operators_state_pays_cgst_and_sgst_and_one_elsewhere_in_india_igst()
    {
        TaxRules.For(new TaxSubject("IN", "KA"), Rates, "IN").Rates.Select(r => r.Code).ShouldBe(["CGST", "SGST"]);
        TaxRules.For(new TaxSubject("IN", "MH"), Rates, "IN").Rates.Select(r => r.Code).ShouldBe(["IGST"]);
        TaxRules.For(new TaxSubject("in", null), Rates, "IN").Rates.Select(r => r.Code).ShouldBe(["IGST"]);
    }

    [Fact]
    public void A_region_without_rates_of_its_own_and_a_country_without_rates_pay_what_applies()
    {
        TaxRules.For(new TaxSubject("US", "CA"), Rates, "US").Rates.ShouldHaveSingleItem().Percentage.ShouldBe(7.25m);
        TaxRules.For(new TaxSubject("US", "OR"), Rates, "US").Rates.ShouldBeEmpty(); // no state rate, no federal one
        TaxRules.For(new TaxSubject("JP", null), Rates, "US").Rates.ShouldBeEmpty();
    }

    [Fact]
    public void An_exempt_customer_and_a_foreign_business_with_a_tax_id_pay_none_and_the_invoice_says_why()
    {
        var exempt = TaxRules.For(new TaxSubject("DE", null, Exempt: true), Rates, "DE");
        var reverse = TaxRules.For(new TaxSubject("DE", null, TaxId: "DE123456789"), Rates, "FR");
        var domestic = TaxRules.For(new TaxSubject("DE", null, TaxId: "DE123456789"), Rates, "DE");

        exempt.Rates.ShouldBeEmpty();
        exempt.Note.ShouldNotBeNull();
        reverse.Rates.ShouldBeEmpty();
        reverse.Note!.ShouldContain("Reverse charge");
        domestic.Rates.ShouldHaveSingleItem().Code.ShouldBe("VAT"); // a tax id at home changes nothing
    }

    [Fact]
    public void The_infographic_templates_GST_charges_CGST_and_SGST_in_its_state_and_IGST_elsewhere_in_India()
    {
        var rates = Tollgate.Catalog.CatalogTemplates.Load("infographic-generator")!.TaxRates!
            .Select(r => new TaxRate(r.Code!, r.Country!, r.Region, r.Percentage!.Value, r.Inclusive ?? false)).ToList();

        TaxRules.For(new TaxSubject("IN", "KA"), rates, "IN").Rates.Select(r => (r.Code, r.Percentage)).ShouldBe([("CGST", 9m), ("SGST", 9m)]);
        TaxRules.For(new TaxSubject("IN", "MH"), rates, "IN").Rates.Select(r => (r.Code, r.Percentage)).ShouldBe([("IGST", 18m)]);
    }
}
