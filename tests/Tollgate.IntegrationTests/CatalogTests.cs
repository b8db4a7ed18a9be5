using Tollgate.Catalog;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests;

public abstract class CatalogTests(TollgateServer server)
{
    static string Code(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..24];

    object Document(string metric, string feature, string plan, long limit, long amount) => new
    {
        metrics = new[] { new { code = metric, name = "Queries", aggregation = "count" } },
        features = new object[]
        {
            new { code = feature, name = "Queries a month", type = "quota", metric, reset_period = "month" },
        },
        plans = new[]
        {
            new
            {
                code = plan, name = "Pro", trial_days = 14,
                prices = new[] { new { interval = "month", currency = "usd", amount } },
                entitlements = new[] { new { feature, limit } },
                charges = new[] { new { metric, currency = "USD", model = "per_unit", properties = new { unit_amount = 0.5m } } },
            },
        },
    };

    [Fact]
    public async Task Applying_the_same_catalog_twice_changes_nothing_the_second_time()
    {
        var (metric, feature, plan) = (Code("m"), Code("f"), Code("p"));
        var first = await server.Admin.PostAsync("/api/v1/catalog/apply", Document(metric, feature, plan, 2000, 2900));
        var second = await server.Admin.PostAsync("/api/v1/catalog/apply", Document(metric, feature, plan, 2000, 2900));

        first.Status.ShouldBe(HttpStatusCode.OK);
        first.Body!["changes"]!.AsArray().Select(c => c!["change"]!.GetValue<string>()).ShouldBe(["created", "created", "created"]);
        second.Body!["changes"]!.AsArray().Select(c => c!["change"]!.GetValue<string>()).ShouldBe(["unchanged", "unchanged", "unchanged"]);
        (await server.Admin.GetAsync($"/api/v1/plans/{plan}")).Body!["latest_version"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task A_changed_plan_gets_a_new_published_version_and_the_old_one_stays()
    {
        var (metric, feature, plan) = (Code("m"), Code("f"), Code("p"));
        await server.Admin.PostAsync("/api/v1/catalog/apply", Document(metric, feature, plan, 2000, 2900));

        var changed = await server.Admin.PostAsync("/api/v1/catalog/apply", Document(metric, feature, plan, 2500, 2900));

        changed.Body!["changes"]![2]!["change"]!.GetValue<string>().ShouldBe("updated");
        changed.Body!["changes"]![2]!["version"]!.GetValue<int>().ShouldBe(2);
        var v1 = await server.Admin.GetAsync($"/api/v1/plans/{plan}/versions/1");
        var v2 = await server.Admin.GetAsync($"/api/v1/plans/{plan}/versions/2");
        v1.Body!["entitlements"]![0]!["limit"]!.GetValue<long>().ShouldBe(2000);
        v2.Body!["entitlements"]![0]!["limit"]!.GetValue<long>().ShouldBe(2500);
        v2.Body!["prices"]![0]!["currency"]!.GetValue<string>().ShouldBe("USD");
        (await server.Admin.GetAsync($"/api/v1/plans/{plan}")).Body!["current_version"]!.GetValue<int>().ShouldBe(2);
    }

    [Fact]
    public async Task A_dry_run_reports_and_writes_nothing()
    {
        var (metric, feature, plan) = (Code("m"), Code("f"), Code("p"));
        var report = await server.Admin.PostAsync("/api/v1/catalog/apply?dry_run=true", Document(metric, feature, plan, 10, 100));

        report.Body!["dry_run"]!.GetValue<bool>().ShouldBeTrue();
        report.Body!["changes"]!.AsArray().Count.ShouldBe(3);
        (await server.Admin.GetAsync($"/api/v1/plans/{plan}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Admin.GetAsync($"/api/v1/metrics/{metric}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_invalid_catalog_writes_none_of_its_parts()
    {
        var metric = Code("m");
        var document = new
        {
            metrics = new[] { new { code = metric, name = "Images", aggregation = "count" } },
            plans = new[] { new { code = Code("p"), name = "Broken", entitlements = new[] { new { feature = "no_such_feature", limit = 1 } } } },
        };

        var response = await server.Admin.PostAsync("/api/v1/catalog/apply", document);

        response.Status.ShouldBe(HttpStatusCode.BadRequest);
        response.FieldErrors.ShouldBe(["plans[0].entitlements[0].feature"]);
        (await server.Admin.GetAsync($"/api/v1/metrics/{metric}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_published_version_cannot_be_edited()
    {
        var (metric, feature, plan) = (Code("m"), Code("f"), Code("p"));
        await server.Admin.PostAsync("/api/v1/catalog/apply", Document(metric, feature, plan, 100, 900));

        var edit = await server.Admin.PutAsync($"/api/v1/plans/{plan}/versions/1", new { trial_days = 30 });

        edit.Status.ShouldBe(HttpStatusCode.Conflict);
        edit.Code.ShouldBe("plan_version_published");
        (await server.Admin.GetAsync($"/api/v1/plans/{plan}/versions/1")).Body!["trial_days"]!.GetValue<int>().ShouldBe(14);
    }

    [Fact]
    public async Task Drafts_change_until_published()
    {
        var plan = Code("p");
        var created = await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Team", version = new { trial_days = 7 } });
        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Body!["current_version"].ShouldBeNull();

        var edited = await server.Admin.PutAsync($"/api/v1/plans/{plan}/versions/1", new { trial_days = 10, prices = new[] { new { interval = "year", currency = "EUR", amount = 99000 } } });
        var published = await server.Admin.PostAsync($"/api/v1/plans/{plan}/versions/1/publish");

        edited.Body!["trial_days"]!.GetValue<int>().ShouldBe(10);
        published.Str("status").ShouldBe("published");
        (await server.Admin.GetAsync($"/api/v1/plans/{plan}")).Body!["current_version"]!.GetValue<int>().ShouldBe(1);
    }

    [Theory]
    [InlineData("{\"code\":\"p_neg\",\"name\":\"N\",\"version\":{\"prices\":[{\"interval\":\"month\",\"currency\":\"USD\",\"amount\":-1}]}}", "validation_failed", "version.prices[0].amount")]
    [InlineData("{\"code\":\"p_big\",\"name\":\"N\",\"version\":{\"prices\":[{\"interval\":\"month\",\"currency\":\"USD\",\"amount\":99999999999999999999999}]}}", "invalid_json", "version.prices[0].amount")]
    [InlineData("{\"code\":\"p_cur\",\"name\":\"N\",\"version\":{\"prices\":[{\"interval\":\"month\",\"currency\":\"DOGE\",\"amount\":100}]}}", "validation_failed", "version.prices[0].currency")]
    [InlineData("{\"code\":\"Bad Code\",\"name\":\"N\"}", "validation_failed", "code")]
    public async Task Bad_plans_are_refused_with_the_field_that_broke(string json, string code, string field)
    {
        var response = await server.Admin.PostRawAsync("/api/v1/plans", json);

        response.Status.ShouldBe(HttpStatusCode.BadRequest);
        response.Code.ShouldBe(code);
        response.FieldErrors.ShouldContain(field);
        (await server.Admin.GetAsync("/api/v1/plans/p_neg")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_feature_granted_by_a_plan_keeps_its_type()
    {
        var (metric, feature, plan) = (Code("m"), Code("f"), Code("p"));
        await server.Admin.PostAsync("/api/v1/catalog/apply", Document(metric, feature, plan, 100, 900));

        var change = await server.Admin.PutAsync($"/api/v1/features/{feature}", new { name = "Now boolean", type = "boolean" });
        var delete = await server.Admin.DeleteAsync($"/api/v1/features/{feature}");

        change.Code.ShouldBe("feature_in_use");
        delete.Code.ShouldBe("feature_in_use");
    }

    [Fact]
    public async Task Coupons_and_tax_rates_apply_from_the_catalog_idempotently_all_or_nothing()
    {
        var (coupon, plan, region) = (Code("SPRING").ToUpperInvariant(), Code("p"), $"Q{Random.Shared.Next(10, 99)}");
        object Document(decimal percentOff, decimal vat, string? planCode = null) => new
        {
            plans = planCode is null ? [] : new[] { new { code = planCode, name = "Late", prices = new[] { new { interval = "month", currency = "USD", amount = 100 } } } },
            coupons = new[] { new { code = coupon, percent_off = percentOff, duration = "repeating", duration_in_months = 3 } },
            tax_rates = new[] { new { code = "VAT", country = "PT", region, percentage = vat, inclusive = true } },
        };

        var first = await server.Admin.PostAsync("/api/v1/catalog/apply", Document(20, 23));
        var second = await server.Admin.PostAsync("/api/v1/catalog/apply", Document(20, 23));
        var changedRate = await server.Admin.PostAsync("/api/v1/catalog/apply", Document(20, 22));
        var changedCoupon = await server.Admin.PostAsync("/api/v1/catalog/apply", Document(25, 22, plan));

        first.Status.ShouldBe(HttpStatusCode.OK, first.Body?.ToJsonString());
        first.Body!["changes"]!.AsArray().Select(c => (c!["kind"]!.GetValue<string>(), c["change"]!.GetValue<string>())).ShouldBe([("coupon", "created"), ("tax_rate", "created")]);
        second.Body!["changes"]!.AsArray().ShouldAllBe(c => c!["change"]!.GetValue<string>() == "unchanged");
        changedRate.Body!["changes"]!.AsArray().Select(c => c!["change"]!.GetValue<string>()).ShouldBe(["unchanged", "updated"]);
        var rates = (await server.Admin.GetAsync("/api/v1/tax-rates")).Body!.AsArray().Where(r => r!["region"]?.GetValue<string>() == region).ToList();
        rates.Select(r => r!["percentage"]!.GetValue<decimal>()).ShouldBe([22m]); // the 23% one archived
        changedCoupon.Code.ShouldBe("coupon_terms_changed");
        (await server.Admin.GetAsync($"/api/v1/plans/{plan}")).Status.ShouldBe(HttpStatusCode.NotFound); // nothing of that document written
        (await server.Admin.GetAsync($"/api/v1/coupons/{coupon}")).Body!["percent_off"]!.GetValue<decimal>().ShouldBe(20m);
        var exported = (await server.Admin.GetAsync("/api/v1/catalog")).Body!;
        exported["coupons"]!.AsArray().Select(c => c!["code"]!.GetValue<string>()).ShouldContain(coupon);
        exported["tax_rates"]!.AsArray().ShouldContain(r => r!["region"] != null && r["region"]!.GetValue<string>() == region);
    }

    [Fact]
    public async Task The_catalog_round_trips_through_export()
    {
        var document = System.Text.Json.JsonDocument.Parse(CatalogTemplates.Read("answer-engine")!).RootElement;
        var applied = await server.Admin.PostAsync("/api/v1/catalog/apply", document);
        applied.Status.ShouldBe(HttpStatusCode.OK, applied.Body?.ToJsonString());

        var exported = await server.Admin.GetAsync("/api/v1/catalog");
        var again = await server.Admin.PostAsync("/api/v1/catalog/apply", exported.Body!);

        again.Status.ShouldBe(HttpStatusCode.OK);
        again.Body!["changes"]!.AsArray().ShouldAllBe(c => c!["change"]!.GetValue<string>() == "unchanged");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CatalogOnSqlite(SqliteServer server) : CatalogTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CatalogOnPostgres(PostgresServer server) : CatalogTests(server);
