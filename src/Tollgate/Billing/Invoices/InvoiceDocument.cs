using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Tollgate.Common;

namespace Tollgate.Billing.Invoices;

/// <summary>Who sells, as the invoice shows it (<c>Billing:Seller:*</c>).</summary>
public sealed class SellerOptions
{
    public string Name { get; set; } = "Tollgate";
    public string? Address { get; set; }
    public string? Email { get; set; }
    public string? TaxId { get; set; }
}

/// <summary>Who buys, as the invoice shows it.</summary>
public sealed record InvoiceBuyer(string Name, string? Email, string? Country, string? Region, string? TaxId);

/// <summary>
/// An invoice as a page, purely: one self-contained HTML document (its styles inline, nothing loaded from anywhere) that
/// reads on a screen and prints on A4, which the PDF is made from. Every text from the database is HTML-encoded; every
/// amount is written in its currency's minor units as they are stored (<see cref="Money"/>), never recomputed.
/// </summary>
public static class InvoiceDocument
{
    static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static string Render(Invoice invoice, InvoiceBuyer buyer, SellerOptions seller, IReadOnlyList<InvoiceSettlement>? settlements = null)
    {
        var currency = invoice.Currency;
        string M(long amount) => Money.Format(amount, currency);
        string E(string? text) => Html.Encode(text ?? "");
        string D(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("d MMMM yyyy", CultureInfo.InvariantCulture) : "";

        var title = invoice.Number is { } number ? $"Invoice {number}" : "Draft invoice";
        var page = new StringBuilder(8_192);
        page.Append($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · {E(seller.Name)}</title>
            <style>
            :root {"{"} color-scheme: light; {"}"}
            body {"{"} font: 15px/1.5 "Liberation Sans", Arial, sans-serif; color: #1a1a1a; margin: 0 auto; max-width: 52rem; padding: 2rem 1.25rem; {"}"}
            header, .parties {"{"} display: flex; flex-wrap: wrap; justify-content: space-between; gap: 1.5rem; {"}"}
            h1 {"{"} font-size: 1.6rem; margin: 0 0 .25rem; {"}"}
            .status {"{"} display: inline-block; border: 1px solid #555; border-radius: .25rem; padding: 0 .5rem; font-size: .85rem; text-transform: uppercase; letter-spacing: .05em; {"}"}
            .muted {"{"} color: #4a4a4a; {"}"}
            table {"{"} width: 100%; border-collapse: collapse; margin-top: 2rem; {"}"}
            th, td {"{"} text-align: left; padding: .5rem .4rem; border-bottom: 1px solid #d0d0d0; vertical-align: top; {"}"}
            th {"{"} font-size: .85rem; color: #333; {"}"}
            .num {"{"} text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; {"}"}
            tfoot th {"{"} text-align: right; font-size: 1rem; border: 0; {"}"}
            tfoot td {"{"} border: 0; {"}"}
            tfoot tr.due th, tfoot tr.due td {"{"} font-size: 1.15rem; font-weight: bold; border-top: 2px solid #1a1a1a; {"}"}
            address {"{"} font-style: normal; white-space: pre-line; {"}"}
            dl {"{"} display: grid; grid-template-columns: auto auto; gap: .1rem 1rem; margin: 0; {"}"}
            dl div {"{"} display: contents; {"}"}
            dt {"{"} font-weight: bold; {"}"}
            dd {"{"} margin: 0; {"}"}
            h2 {"{"} font-size: 1rem; margin: 0 0 .25rem; {"}"}
            footer {"{"} margin-top: 2.5rem; font-size: .85rem; {"}"}
            @media print {"{"} body {"{"} padding: 0; max-width: none; {"}"} {"}"}
            </style>
            </head>
            <body>
            <main>
            <header>
            <div><h1>{E(title)}</h1><span class="status">{E(EnumText.Snake(invoice.Status))}</span></div>
            <dl class="muted">
            """);
        void Fact(string name, string value)
        {
            if (value.Length > 0) page.Append($"<div><dt>{E(name)}</dt><dd>{value}</dd></div>\n");
        }

        Fact("Issued", E(D(invoice.FinalizedAt ?? invoice.CreatedAt)));
        Fact("Period", $"{E(D(invoice.PeriodStart))} to {E(D(invoice.PeriodEnd))}");
        if (invoice.PaidAt is { } paid) Fact("Paid", E(D(paid)));
        Fact("Currency", E(currency));
        page.Append("</dl>\n</header>\n<section class=\"parties\" aria-label=\"Seller and customer\">\n");
        page.Append($"<div><h2>From</h2><address>{E(seller.Name)}\n{E(seller.Address)}{(seller.Email is null ? "" : "\n" + E(seller.Email))}</address>");
        if (seller.TaxId is { } sellerTax) page.Append($"<p class=\"muted\">Tax id {E(sellerTax)}</p>");
        page.Append("</div>\n");
        var place = string.Join(", ", new[] { buyer.Region, buyer.Country }.Where(p => !string.IsNullOrEmpty(p)));
        page.Append($"<div><h2>Bill to</h2><address>{E(buyer.Name)}{(buyer.Email is null ? "" : "\n" + E(buyer.Email))}{(place.Length == 0 ? "" : "\n" + E(place))}</address>");
        if (buyer.TaxId is { } buyerTax) page.Append($"<p class=\"muted\">Tax id {E(buyerTax)}</p>");
        page.Append("</div>\n</section>\n");

        page.Append("""
            <table>
            <caption class="muted" style="text-align:left">Invoice lines</caption>
            <thead><tr><th scope="col">Description</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Amount</th></tr></thead>
            <tbody>

            """);
        foreach (var line in invoice.Lines)
        {
            var unit = line.UnitAmount is { } u ? Money.FormatUnit(u, currency) : "";
            page.Append($"<tr><td>{E(line.Description)}</td><td class=\"num\">{E(line.Quantity.ToString("#,0.##########", CultureInfo.InvariantCulture))}</td>");
            page.Append($"<td class=\"num\">{E(unit)}</td><td class=\"num\">{E(M(line.Amount))}</td></tr>\n");
        }

        page.Append("</tbody>\n<tfoot>\n");
        void Total(string name, long amount, string? css = null) =>
            page.Append($"<tr{(css is null ? "" : $" class=\"{css}\"")}><th scope=\"row\" colspan=\"3\">{E(name)}</th><td class=\"num\">{E(M(amount))}</td></tr>\n");
        Total("Subtotal", invoice.Subtotal);
        if (invoice.Discount != 0) Total(invoice.DiscountCode is { } code ? $"Discount ({code})" : "Discount", -invoice.Discount);
        foreach (var tax in invoice.Taxes)
        {
            Total($"{tax.Code} {tax.Percentage.ToString("0.####", CultureInfo.InvariantCulture)}%{(tax.Inclusive ? " (included)" : "")}", tax.Amount);
        }

        Total("Total", invoice.Total);
        if (invoice.CreditsApplied != 0) Total("Credits applied", -invoice.CreditsApplied);
        if (invoice.AmountPaid != 0) Total("Paid", -invoice.AmountPaid);
        Total("Amount due", invoice.Status == InvoiceStatus.Paid ? 0 : invoice.AmountDue, "due");
        page.Append("</tfoot>\n</table>\n");
        if (invoice.TaxNote is { } note) page.Append($"<p>{E(note)}</p>\n");
        if (settlements is { Count: > 0 })
        {
            // How it was paid; a merchant of record's own tax is on top of this invoice, so it is shown beside it, not in its totals.
            page.Append("<section aria-label=\"Payments\">\n<h2>Payments</h2>\n<ul>\n");
            foreach (var payment in settlements)
            {
                var amount = Money.Format(payment.Amount, payment.Currency);
                page.Append(payment is { MerchantOfRecord: true, Tax: > 0 }
                    ? $"<li>{E(D(payment.At))}: {E(amount)} through {E(payment.Provider)}, merchant of record, of which {E(Money.Format(payment.Tax, payment.Currency))} is tax {E(payment.Provider)} charged as the seller</li>\n"
                    : $"<li>{E(D(payment.At))}: {E(amount)} through {E(payment.Provider)}{(payment.MerchantOfRecord ? ", merchant of record" : "")}</li>\n");
            }

            page.Append("</ul>\n</section>\n");
        }

        page.Append($"<footer class=\"muted\"><p>Invoice id {E(invoice.Id)}{(invoice.SubscriptionId is null ? "" : $" · subscription {E(invoice.SubscriptionId)}")}</p></footer>\n");
        page.Append("</main>\n</body>\n</html>\n");
        return page.ToString();
    }
}
