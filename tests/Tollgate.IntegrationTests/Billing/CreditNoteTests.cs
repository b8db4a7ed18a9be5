using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

public abstract class CreditNoteTests(TollgateServer server)
{
    async Task<(string Customer, string Subscription, string Invoice)> InvoicedAsync()
    {
        var plan = $"cn_{Guid.NewGuid():N}"[..20];
        await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Credited", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 2900 } } }, publish = true });
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Unhappy" })).Body!["id"]!.GetValue<string>();
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer, plan })).Body!["id"]!.GetValue<string>();
        var invoice = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Body!["data"]![0]!["id"]!.GetValue<string>();
        return (customer, subscription, invoice);
    }

    [Fact]
    public async Task A_credit_note_takes_off_what_is_due_then_pays_the_invoice_and_never_goes_beyond_it()
    {
        var (_, _, invoice) = await InvoicedAsync();

        var first = await server.Admin.PostAsync("/api/v1/credit-notes", new { invoice_id = invoice, lines = new[] { new { line = 1, amount = 1000 } }, reason = "outage" });
        var tooMuch = await server.Admin.PostAsync("/api/v1/credit-notes", new { invoice_id = invoice, lines = new[] { new { line = 1, amount = 2000 } } });
        var rest = await server.Admin.PostAsync("/api/v1/credit-notes", new { invoice_id = invoice, amount = 1900 });
        var after = await server.Admin.PostAsync("/api/v1/credit-notes", new { invoice_id = invoice, amount = 1 });

        first.Status.ShouldBe(HttpStatusCode.Created, first.Body?.ToJsonString());
        first.Body!["applied_to_invoice"]!.GetValue<long>().ShouldBe(1000);
        first.Body["number"]!.GetValue<string>().ShouldStartWith("TGCN-");
        tooMuch.Body!["errors"]!["lines[0].amount"].ShouldNotBeNull();
        rest.Status.ShouldBe(HttpStatusCode.Created);
        after.Status.ShouldBe(HttpStatusCode.BadRequest);
        var credited = (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Body!;
        (credited["status"]!.GetValue<string>(), credited["amount_due"]!.GetValue<long>()).ShouldBe(("paid", 0L));
        (await server.Admin.GetAsync($"/api/v1/credit-notes?invoice_id={invoice}")).Body!.AsArray().Sum(n => n!["total"]!.GetValue<long>()).ShouldBe(2900);
    }

    [Fact]
    public async Task Crediting_a_paid_invoice_credits_the_balance_and_the_next_invoice_uses_it()
    {
        var (_, subscription, invoice) = await InvoicedAsync();
        await server.Admin.PostAsync($"/api/v1/invoices/{invoice}/pay");

        var note = await server.Admin.PostAsync("/api/v1/credit-notes", new { invoice_id = invoice, amount = 700 });
        server.Clock.Advance(TimeSpan.FromDays(31));
        await server.Admin.PostAsync("/api/v1/invoice-runs");

        note.Body!["credited_to_balance"]!.GetValue<long>().ShouldBe(700);
        var renewal = (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Body!["data"]![0]!;
        (renewal["credits_applied"]!.GetValue<long>(), renewal["amount_due"]!.GetValue<long>()).ShouldBe((700, 2200));
    }

    [Fact]
    public async Task Two_credit_notes_at_once_cannot_both_take_what_is_left()
    {
        var (_, _, invoice) = await InvoicedAsync();

        var both = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => server.Admin.PostAsync("/api/v1/credit-notes", new { invoice_id = invoice, amount = 2000 })));

        both.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(1);
        both.Count(r => r.Status == HttpStatusCode.BadRequest).ShouldBe(1);
        (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Body!["amount_due"]!.GetValue<long>().ShouldBe(900);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class CreditNotesOnSqlite(SqliteServer server) : CreditNoteTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CreditNotesOnPostgres(PostgresServer server) : CreditNoteTests(server);
