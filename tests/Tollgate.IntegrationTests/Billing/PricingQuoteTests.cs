using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class PricingQuoteTests(TollgateServer server)
{
    static object StripeVolume(decimal quantity) => new
    {
        currency = "usd",
        charge = new
        {
            model = "volume",
            properties = new { tiers = new object[] { new { up_to = 5, unit_amount = 700 }, new { up_to = 10, unit_amount = 650 }, new { unit_amount = 600 } } },
        },
        quantity,
    };

    [Theory]
    [InlineData(1, 700)]
    [InlineData(5, 3500)]
    [InlineData(6, 3900)]
    [InlineData(20, 12000)]
    [InlineData(25, 15000)]
    public async Task A_quote_prices_stripes_volume_example_to_the_cent(int quantity, long amount)
    {
        var quote = await server.Admin.PostAsync("/api/v1/pricing/quote", StripeVolume(quantity));

        quote.Status.ShouldBe(HttpStatusCode.OK, quote.Body?.ToJsonString());
        quote.Body!["currency"]!.GetValue<string>().ShouldBe("USD");
        quote.Body["amount"]!.GetValue<long>().ShouldBe(amount);
        var line = quote.Body["lines"]!.AsArray().ShouldHaveSingleItem()!;
        line["kind"]!.GetValue<string>().ShouldBe("tier");
        line["quantity"]!.GetValue<decimal>().ShouldBe(quantity);
        line["amount"]!.GetValue<long>().ShouldBe(amount);
    }

    [Fact]
    public async Task A_percentage_quote_charges_each_listed_event_within_its_bounds()
    {
        var quote = await server.Admin.PostAsync("/api/v1/pricing/quote", new
        {
            currency = "INR",
            charge = new { model = "percentage", properties = new { rate = 1, per_event_fee = 10, per_event_minimum = 50, per_event_maximum = 500 } },
            events = new[] { 1_000, 20_000, 100_000 },
        });

        quote.Status.ShouldBe(HttpStatusCode.OK, quote.Body?.ToJsonString());
        quote.Body!["amount"]!.GetValue<long>().ShouldBe(760);
        quote.Body["lines"]![0]!["kind"]!.GetValue<string>().ShouldBe("events");
    }

    [Fact]
    public async Task A_read_only_admin_key_may_quote_and_a_customer_key_may_not()
    {
        var readOnly = await server.Admin.PostAsync("/api/v1/keys", new { name = "pricing page", kind = "admin", scopes = new[] { "admin:read" } });
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Quoting customer" });
        var customerKey = await server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer.Body!["id"]!.GetValue<string>() });

        (await server.Client(readOnly.Body!["secret"]!.GetValue<string>()).PostAsync("/api/v1/pricing/quote", StripeVolume(6))).Status.ShouldBe(HttpStatusCode.OK);
        var refused = await server.Client(customerKey.Body!["secret"]!.GetValue<string>()).PostAsync("/api/v1/pricing/quote", StripeVolume(6));
        refused.Status.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_charge_that_a_catalog_would_refuse_is_refused_with_the_field_that_is_wrong()
    {
        var openEnded = await server.Admin.PostAsync("/api/v1/pricing/quote", new
        {
            currency = "USD",
            charge = new { model = "graduated", properties = new { tiers = new[] { new { up_to = 10, unit_amount = 5 } } } },
            quantity = 3,
        });
        var misplaced = await server.Admin.PostAsync("/api/v1/pricing/quote", new
        {
            currency = "USD", charge = new { model = "per_unit", properties = new { unit_amount = 5, rate = 3 } }, quantity = 3,
        });
        var noCurrency = await server.Admin.PostAsync("/api/v1/pricing/quote", new { currency = "XYZ", charge = new { model = "flat", properties = new { fixed_amount = 5 } }, quantity = 1 });
        var negative = await server.Admin.PostAsync("/api/v1/pricing/quote", new { currency = "USD", charge = new { model = "per_unit", properties = new { unit_amount = 5 } }, quantity = -1 });
        var unknownModel = await server.Admin.PostAsync("/api/v1/pricing/quote", new { currency = "USD", charge = new { model = "bogus" }, quantity = 1 });

        openEnded.Code.ShouldBe("validation_failed");
        openEnded.Body!["errors"]!["charge.properties.tiers[0].up_to"].ShouldNotBeNull();
        misplaced.Body!["errors"]!["charge.properties.rate"].ShouldNotBeNull();
        noCurrency.Body!["errors"]!["currency"].ShouldNotBeNull();
        negative.Body!["errors"]!["quantity"].ShouldNotBeNull();
        unknownModel.Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_amount_too_large_to_bill_is_a_400_not_a_wrap_around()
    {
        var quote = await server.Admin.PostAsync("/api/v1/pricing/quote", new
        {
            currency = "USD", charge = new { model = "per_unit", properties = new { unit_amount = 1_000_000_000_000 } }, quantity = 1_000_000_000_000_000,
        });

        quote.Status.ShouldBe(HttpStatusCode.BadRequest);
        quote.Code.ShouldBe("amount_out_of_range");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PricingQuoteOnSqlite(SqliteServer server) : PricingQuoteTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PricingQuoteOnPostgres(PostgresServer server) : PricingQuoteTests(server);
