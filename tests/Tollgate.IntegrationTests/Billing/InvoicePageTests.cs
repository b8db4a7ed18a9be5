using Tollgate.IntegrationTests.Gateway;
using Tollgate.IntegrationTests.Infrastructure;

namespace Tollgate.IntegrationTests.Billing;

/// <summary>An invoice as an HTML page and a PDF, for the operator and for the customer's own keys only.</summary>
public abstract class InvoicePageTests(TollgateServer server)
{
    /// <summary>A customer with a read key, subscribed to a $29 plan: its first invoice, finalized.</summary>
    async Task<(GatewayCustomer Customer, string Invoice)> InvoicedAsync(string name)
    {
        var plan = $"page_{Guid.NewGuid():N}"[..20];
        (await server.Admin.PostAsync("/api/v1/plans", new { code = plan, name = "Page", version = new { prices = new[] { new { interval = "month", currency = "USD", amount = 2900 } } }, publish = true }))
            .Status.ShouldBe(HttpStatusCode.Created);
        var customer = await server.CustomerAsync(null, scopes: ["customer:read"]);
        (await server.Admin.PatchAsync($"/api/v1/customers/{customer.Id}", new { name })).Status.ShouldBe(HttpStatusCode.OK);
        var subscription = (await server.Admin.PostAsync("/api/v1/subscriptions", new { customer_id = customer.Id, plan })).Id;
        return (customer, (await server.Admin.GetAsync($"/api/v1/invoices?subscription_id={subscription}")).Data.Single()!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_page_shows_the_number_lines_and_totals_and_encodes_what_customers_wrote()
    {
        var (customer, invoice) = await InvoicedAsync("<script>alert(1)</script> & Co");
        var number = (await server.Admin.GetAsync($"/api/v1/invoices/{invoice}")).Str("number")!;

        var page = await server.Admin.GetAsync($"/api/v1/invoices/{invoice}/html");

        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Raw.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var html = await page.Raw.Content.ReadAsStringAsync();
        html.ShouldContain($"<title>Invoice {number}");
        html.ShouldContain("USD 29.00");
        html.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co");
        html.ShouldNotContain("<script>");
        html.ShouldNotContain("http"); // nothing loaded from anywhere
        (await server.Client(customer.Key).GetAsync($"/api/v1/customers/{customer.Id}/invoices/{invoice}/html")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_customer_sees_its_own_invoices_and_never_another_customers()
    {
        var (mine, invoice) = await InvoicedAsync("Mine");
        var (theirs, _) = await InvoicedAsync("Theirs");

        var listed = await server.Client(mine.Key).GetAsync($"/api/v1/customers/{mine.Id}/invoices");
        listed.Status.ShouldBe(HttpStatusCode.OK);
        listed.Data.Select(i => i!["id"]!.GetValue<string>()).ShouldBe([invoice]);
        (await server.Client(theirs.Key).GetAsync($"/api/v1/customers/{theirs.Id}/invoices/{invoice}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client(theirs.Key).GetAsync($"/api/v1/customers/{theirs.Id}/invoices/{invoice}/pdf")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client(theirs.Key).GetAsync($"/api/v1/customers/{mine.Id}/invoices")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client(mine.Key).GetAsync($"/api/v1/invoices/{invoice}/html")).Status.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_pdf_is_printed_by_chromium()
    {
        var (customer, invoice) = await InvoicedAsync("Printed");

        var pdf = await server.Client(customer.Key).GetAsync($"/api/v1/customers/{customer.Id}/invoices/{invoice}/pdf");

        pdf.Status.ShouldBe(HttpStatusCode.OK, pdf.Body?.ToJsonString());
        pdf.Raw.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
        var bytes = await pdf.Raw.Content.ReadAsByteArrayAsync();
        System.Text.Encoding.ASCII.GetString(bytes, 0, 5).ShouldBe("%PDF-");
        bytes.Length.ShouldBeGreaterThan(2_000);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class InvoicePagesOnSqlite(SqliteServer server) : InvoicePageTests(server);

[Collection(PostgresCollection.Name)]
public sealed class InvoicePagesOnPostgres(PostgresServer server) : InvoicePageTests(server);
