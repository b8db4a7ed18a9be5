using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Tollgate.Common;

namespace Tollgate.Payments.Providers.Test;

/// <summary>What the test checkout page shows: the seller, what is bought, and what is charged now.</summary>
public sealed record TestCheckoutView(string Seller, string CustomerName, string Description, long Quantity, long Amount, string Currency, string CancelUrl);

/// <summary>A receipt on the test portal.</summary>
public sealed record TestReceipt(DateTimeOffset At, string? InvoiceId, long Amount, long Refunded, string Currency, string Status);

/// <summary>
/// The test provider's pages, purely: self-contained HTML (styles inline, nothing loaded from anywhere), every text
/// from the database HTML-encoded, every amount as stored (<see cref="Money"/>). Forms post back to the page's own address.
/// </summary>
public static class TestPages
{
    static readonly HtmlEncoder Html = HtmlEncoder.Default;

    static string E(string? text) => Html.Encode(text ?? "");

    public static string Checkout(TestCheckoutView view, string? error)
    {
        var page = new StringBuilder(4_096);
        var due = view.Amount > 0 ? Money.Format(view.Amount, view.Currency) : null;
        page.Append($"<h1>Pay {E(view.Seller)}</h1>\n<dl>\n");
        page.Append($"<div><dt>Customer</dt><dd>{E(view.CustomerName)}</dd></div>\n");
        page.Append($"<div><dt>Plan</dt><dd>{E(view.Description)}{(view.Quantity > 1 ? $" × {view.Quantity.ToString("#,0", CultureInfo.InvariantCulture)}" : "")}</dd></div>\n");
        page.Append($"<div><dt>Due today</dt><dd id=\"due\">{E(due ?? "Nothing: your card is saved for later charges")}</dd></div>\n</dl>\n");
        Error(page, error);
        page.Append("<form method=\"post\">\n");
        Cards(page, TestCards.All, TestCards.All[0]);
        page.Append($"<button type=\"submit\">{E(due is null ? "Save card" : $"Pay {due}")}</button>\n</form>\n");
        page.Append($"<p><a href=\"{E(view.CancelUrl)}\">Cancel and go back</a></p>\n");
        return Layout(due is null ? "Save a card" : $"Pay {due}", page.ToString());
    }

    /// <summary>A page that only says where things stand (the checkout complete, expired, or not found), with a way on.</summary>
    public static string Notice(string title, string message, string? linkText = null, string? link = null, (string Text, string Href)? second = null) =>
        Layout(title, $"<h1>{E(title)}</h1>\n<p>{E(message)}</p>\n{(second is { } s ? $"<p><a href=\"{E(s.Href)}\">{E(s.Text)}</a></p>\n" : "")}{(link is null ? "" : $"<p><a href=\"{E(link)}\">{E(linkText)}</a></p>\n")}");

    public static string Portal(string customerName, string? paymentMethod, IReadOnlyList<TestReceipt> receipts, string returnUrl, string? error, bool saved)
    {
        var page = new StringBuilder(4_096);
        var card = TestCards.Find(paymentMethod);
        page.Append($"<h1>Billing for {E(customerName)}</h1>\n");
        page.Append($"<h2>Payment method</h2>\n<p id=\"card\">{E(card is null ? "No card saved." : $"Card {card.Number} ({card.Label.ToLowerInvariant()})")}</p>\n");
        if (saved) page.Append("<p role=\"status\" class=\"ok\">Your new card is saved; the next charge uses it.</p>\n");
        Error(page, error);
        page.Append("<form method=\"post\">\n");
        Cards(page, [.. TestCards.All.Where(c => c.Behaviour != TestCardBehaviour.Declined)], card ?? TestCards.All[0]);
        page.Append("<button type=\"submit\">Save card</button>\n</form>\n");
        page.Append("<h2>Receipts</h2>\n");
        if (receipts.Count == 0) page.Append("<p>No payments yet.</p>\n");
        else
        {
            page.Append("<table>\n<thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Invoice</th><th scope=\"col\">Status</th><th scope=\"col\" class=\"num\">Amount</th><th scope=\"col\" class=\"num\">Refunded</th></tr></thead>\n<tbody>\n");
            foreach (var r in receipts)
            {
                page.Append($"<tr><td>{E(r.At.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture))}</td><td>{E(r.InvoiceId ?? "")}</td><td>{E(r.Status)}</td>");
                page.Append($"<td class=\"num\">{E(Money.Format(r.Amount, r.Currency))}</td><td class=\"num\">{E(r.Refunded == 0 ? "" : Money.Format(r.Refunded, r.Currency))}</td></tr>\n");
            }

            page.Append("</tbody>\n</table>\n");
        }

        page.Append($"<p><a href=\"{E(returnUrl)}\">Back</a></p>\n");
        return Layout($"Billing for {customerName}", page.ToString());
    }

    static void Error(StringBuilder page, string? error)
    {
        if (error is not null) page.Append($"<p role=\"alert\" class=\"error\">{E(error)}</p>\n");
    }

    static void Cards(StringBuilder page, IReadOnlyList<TestCard> cards, TestCard selected)
    {
        page.Append("<fieldset>\n<legend>Test card</legend>\n");
        foreach (var card in cards)
        {
            var id = $"card-{card.PaymentMethod}";
            page.Append($"<div class=\"card\"><input type=\"radio\" name=\"card\" id=\"{id}\" value=\"{E(card.PaymentMethod)}\"{(card == selected ? " checked" : "")}>");
            page.Append($"<label for=\"{id}\"><span class=\"number\">{E(card.Number)}</span> {E(card.Label)}</label></div>\n");
        }

        page.Append("</fieldset>\n");
    }

    static string Layout(string title, string content) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}} · Tollgate test provider</title>
        <style>
        :root { color-scheme: light; }
        body { font: 16px/1.5 "Liberation Sans", Arial, sans-serif; color: #1a1a1a; margin: 0 auto; max-width: 34rem; padding: 1.5rem 1rem; }
        .mode { background: #fff3c4; border: 1px solid #8a6d00; border-radius: .25rem; padding: .4rem .75rem; font-size: .9rem; }
        h1 { font-size: 1.5rem; margin: 1rem 0; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
        dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; } dl div { display: contents; } dt { font-weight: bold; } dd { margin: 0; }
        fieldset { border: 1px solid #767676; border-radius: .25rem; margin: 1rem 0; padding: .5rem 1rem; }
        .card { padding: .35rem 0; } .number { font-family: "Liberation Mono", monospace; }
        input[type=radio] { width: 1.1rem; height: 1.1rem; vertical-align: -.15rem; margin-right: .5rem; }
        button { font: inherit; font-weight: bold; color: #fff; background: #1f4fd1; border: 0; border-radius: .3rem; padding: .6rem 1.25rem; cursor: pointer; }
        :focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
        a { color: #1f4fd1; }
        .error { color: #8b0000; border-left: 4px solid #8b0000; padding-left: .6rem; font-weight: bold; }
        .ok { color: #14532d; border-left: 4px solid #14532d; padding-left: .6rem; }
        table { width: 100%; border-collapse: collapse; } th, td { text-align: left; padding: .35rem .3rem; border-bottom: 1px solid #d0d0d0; } .num { text-align: right; }
        </style>
        </head>
        <body>
        <main>
        <p class="mode"><strong>Test mode.</strong> Tollgate's built-in test provider: no card is charged and no money moves.</p>
        {{content}}</main>
        </body>
        </html>

        """;
}
