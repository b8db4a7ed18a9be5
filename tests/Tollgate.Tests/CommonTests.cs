using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Tests;

public class CommonTests
{
    sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Ids_carry_their_prefix_and_sort_by_creation_time()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var first = Ids.New(Ids.Customer, time);
        time.Now = time.Now.AddMilliseconds(1);
        var second = Ids.New(Ids.Customer, time);

        first.ShouldStartWith("cus_");
        Ids.HasPrefix(first, Ids.Customer).ShouldBeTrue();
        string.CompareOrdinal(first, second).ShouldBeLessThan(0);
    }

    [Theory]
    [InlineData("usd", "USD", 2)]
    [InlineData("JPY", "JPY", 0)]
    [InlineData("kwd", "KWD", 3)]
    public void Currencies_are_canonical_with_their_minor_units(string given, string code, int digits)
    {
        Currencies.Normalize(given).ShouldBe(code);
        Currencies.MinorUnits(code).ShouldBe(digits);
    }

    [Theory]
    [InlineData("XYZ")]
    [InlineData("US")]
    [InlineData(null)]
    public void Unknown_currencies_are_null(string? given) => Currencies.Normalize(given).ShouldBeNull();

    [Theory]
    [InlineData("IN", "INR")]
    [InlineData("DE", "EUR")]
    [InlineData("GB", "GBP")]
    [InlineData("US", "USD")]
    [InlineData(null, "USD")]
    public void A_country_suggests_a_currency(string? country, string currency) => Currencies.DefaultFor(country).ShouldBe(currency);

    [Fact]
    public void A_postgres_url_becomes_an_npgsql_connection_string()
    {
        var target = ConnectionTarget.Parse("postgres://app:s%40cret@db.internal:6543/tollgate");
        target.Kind.ShouldBe(DatabaseKind.Postgres);
        target.ConnectionString.ShouldContain("Host=db.internal");
        target.ConnectionString.ShouldContain("Port=6543");
        target.ConnectionString.ShouldContain("Password=s@cret");
        target.Redacted().ShouldNotContain("s@cret");
    }

    [Fact]
    public void Postgres_statements_are_prepared_automatically_unless_the_connection_string_says_how()
    {
        var prepared = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionTarget.Parse("Host=db;Username=app").ConnectionString);
        (prepared.MaxAutoPrepare, prepared.AutoPrepareMinUsages).ShouldBe((128, 2));
        new Npgsql.NpgsqlConnectionStringBuilder(ConnectionTarget.Parse("postgres://app@db/tollgate").ConnectionString).MaxAutoPrepare.ShouldBe(128);
        new Npgsql.NpgsqlConnectionStringBuilder(ConnectionTarget.Parse("Host=db;Username=app;Max Auto Prepare=10").ConnectionString).MaxAutoPrepare.ShouldBe(10);
        new Npgsql.NpgsqlConnectionStringBuilder(ConnectionTarget.Parse("Host=db;Username=app;Max Auto Prepare=0").ConnectionString).MaxAutoPrepare.ShouldBe(0); // off, for a pooler
    }

    [Fact]
    public void No_connection_string_means_the_default_sqlite_file()
    {
        var target = ConnectionTarget.Parse("");
        target.Kind.ShouldBe(DatabaseKind.Sqlite);
        target.ConnectionString.ShouldContain("data/tollgate.db");
    }

    [Fact]
    public void Migrations_have_the_same_columns_on_both_databases()
    {
        foreach (var migration in Migrations.All)
        {
            migration.For(DatabaseKind.Postgres).ShouldNotContain("{");
            migration.For(DatabaseKind.Sqlite).ShouldNotContain("{");
        }
    }
}

public class LruCacheTests
{
    [Fact]
    public void The_least_recently_used_make_room_one_by_one_within_both_bounds()
    {
        var cache = new Tollgate.Common.LruCache<string, string>(maxEntries: 3, maxSize: 100, (_, v) => v.Length);
        cache.Set("a", "1");
        cache.Set("b", "2");
        cache.Set("c", "3");
        cache.TryGet("a", out _).ShouldBeTrue(); // a is the most recent now

        cache.Set("d", "4"); // one too many: b, the least recently used, goes

        cache.TryGet("b", out _).ShouldBeFalse();
        (cache.TryGet("a", out var a), a).ShouldBe((true, "1"));
        cache.Count.ShouldBe(3);
        cache.Set("big", new string('x', 100)); // by size: all but it go
        cache.Count.ShouldBe(1);
        cache.Set("huge", new string('x', 101)); // larger than the whole cache: not kept, nothing lost
        (cache.TryGet("huge", out _), cache.Count).ShouldBe((false, 1));
        cache.TryGet("big", out _, keep: _ => false).ShouldBeFalse(); // a value its reader refuses is dropped
        cache.Count.ShouldBe(0);
    }
}

public class LogEventIdTests
{
    /// <summary>Operators filter and alert on event ids: two messages sharing one would be mistaken for each other.</summary>
    [Fact]
    public void Every_log_message_has_an_event_id_of_its_own()
    {
        var ids = typeof(Tollgate.Common.Periodic).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
            .Select(m => (Method: m, Message: m.GetCustomAttributes(typeof(Microsoft.Extensions.Logging.LoggerMessageAttribute), false).Cast<Microsoft.Extensions.Logging.LoggerMessageAttribute>().SingleOrDefault()))
            .Where(m => m.Message is not null)
            .ToList();

        ids.Count.ShouldBeGreaterThan(20);
        ids.GroupBy(m => m.Message!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => $"{m.Method.DeclaringType!.Name}.{m.Method.Name}"))}")
            .ShouldBeEmpty();
    }
}

public sealed class MoneyFormatTests
{
    [Theory]
    [InlineData(123456L, "USD", "USD 1,234.56")]
    [InlineData(-500L, "EUR", "EUR -5.00")]
    [InlineData(1235L, "JPY", "JPY 1,235")]
    [InlineData(1234L, "KWD", "KWD 1.234")]
    [InlineData(4990000L, "INR", "INR 49,900.00")]
    public void Amounts_carry_their_currencys_decimals(long minor, string currency, string expected) =>
        Tollgate.Common.Money.Format(minor, currency).ShouldBe(expected);

    [Fact]
    public void A_unit_price_keeps_its_fractions_of_a_minor_unit() =>
        (Tollgate.Common.Money.FormatUnit(0.5m, "USD"), Tollgate.Common.Money.FormatUnit(2900m, "USD")).ShouldBe(("USD 0.005", "USD 29.00"));

    [Fact]
    public async Task Without_chromium_there_is_no_pdf()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new Tollgate.Billing.BillingOptions { ChromiumPath = "/nonexistent/chromium" });
        await using var pdf = new Tollgate.Billing.Invoices.InvoicePdf(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<Tollgate.Billing.Invoices.InvoicePdf>.Instance);
        pdf.Available.ShouldBeFalse();
        (await pdf.PrintAsync("<p>hi</p>", CancellationToken.None)).ShouldBeNull();
    }
}
