using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class TaxTests(TollgateServer server)
{
    [Fact]
    public async Task Indian_customers_pay_cgst_and_sgst_in_the_operators_state_igst_elsewhere_and_an_exempt_one_none()
    {
        foreach (var rate in new object[]
        {
            new { code = "CGST", country = "IN", region = "KA", percentage = 9 },
            new { code = "SGST", country = "IN", region = "KA", percentage = 9 },
            new { code = "IGST", country = "in", percentage = 18 },
        })
        {
            var created = await server.Admin.PostAsync("/api/v1/tax-rates", rate);
            created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        }

        var plan = $"inr_{Guid.NewGuid():N}"[..20];
        await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "INR", version = new { prices = new[] { new { interval = "month", currency = "INR", amount = 99_900 } } }, publish = true });

        async Task<System.Text.Json.Nodes.JsonNode> InvoiceFor(object customer)
        {
            var id = (await server.Admin.PostAsync("/api/v1/customers", customer)).Body!["id"]!.GetValue<string>();
            var subscription = await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = id, plan });
            subscription.Status.ShouldBe(HttpStatusCode.Created, subscription.Body?.ToJsonString());
            return (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription.Body!["id"]!.GetValue<string>()}")).Body!["data"]![0]!;
        }

        var karnataka = await InvoiceFor(new { name = "Bengaluru Labs", country = "IN", region = "ka" });
        var maharashtra = await InvoiceFor(new { name = "Pune Works", country = "IN", region = "MH" });
        var exempt = await InvoiceFor(new { name = "Charity", country = "IN", region = "KA", tax_exempt = true });

        karnataka["taxes"]!.AsArray().Select(t => (t!["code"]!.GetValue<string>(), t["amount"]!.GetValue<long>())).ShouldBe([("CGST", 8991L), ("SGST", 8991L)]);
        (karnataka["tax"]!.GetValue<long>(), karnataka["total"]!.GetValue<long>()).ShouldBe((17_982, 117_882));
        maharashtra["taxes"]!.AsArray().Select(t => (t!["code"]!.GetValue<string>(), t["amount"]!.GetValue<long>())).ShouldBe([("IGST", 17_982L)]);
        exempt["tax"]!.GetValue<long>().ShouldBe(0);
        exempt["tax_note"]!.GetValue<string>().ShouldContain("Exempt");
        exempt["total"]!.GetValue<long>().ShouldBe(99_900);
    }

    [Fact]
    public async Task A_tax_rate_that_makes_no_sense_is_refused_and_an_archived_one_applies_no_more()
    {
        var bad = await server.Admin.PostAsync("/api/v1/tax-rates", new { code = "VAT", country = "ZZ", percentage = 120 });
        var rate = await server.Admin.PostAsync("/api/v1/tax-rates", new { code = "VAT", country = "LU", percentage = 17, inclusive = true });
        var twice = await server.Admin.PostAsync("/api/v1/tax-rates", new { code = "VAT", country = "LU", percentage = 16 });
        var archived = await server.Admin.DeleteAsync($"/api/v1/tax-rates/{rate.Body!["id"]!.GetValue<string>()}");
        var list = await server.Admin.GetAsync("/api/v1/tax-rates");

        bad.Body!["errors"]!["country"].ShouldNotBeNull();
        bad.Body["errors"]!["percentage"].ShouldNotBeNull();
        twice.Code.ShouldBe("tax_rate_exists");
        archived.Status.ShouldBe(HttpStatusCode.OK);
        list.Body!.AsArray().ShouldNotContain(r => r!["country"]!.GetValue<string>() == "LU");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class TaxesOnSqlite(SqliteServer server) : TaxTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TaxesOnPostgres(PostgresServer server) : TaxTests(server);
