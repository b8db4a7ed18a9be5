using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Tollgate.ApiKeys;
using Tollgate.Billing.Invoices;
using Tollgate.Billing.Runs;
using Tollgate.Billing.Subscriptions;
using Tollgate.Common;
using Tollgate.Customers;
using Tollgate.Portal.Pages;
using Tollgate.Web;

namespace Tollgate.Portal;

/// <summary>
/// The customer portal under <c>/portal</c>, and <c>POST /api/v1/portal-sessions</c>, which mints the link into it.
/// Every page works on the session's customer only; actions are form posts that redirect back (post, redirect, get),
/// except the two that show a secret once (a new key, an invitation link), which answer with the page itself.
/// </summary>
public static class PortalEndpoints
{
    const string CookiePath = "/portal";

    public static RouteGroupBuilder MapPortalSessionEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/portal-sessions", async (HttpContext http, Caller caller, PortalSessions sessions, IOptions<Payments.PaymentsOptions> payments,
                CreatePortalSessionRequest request, CancellationToken ct) =>
            {
                var minted = await sessions.MintLinkAsync(request, caller.Key.Mode, caller.Actor, ct);
                if (!minted.IsOk) return minted.Error.ToProblem();
                var site = Site(http, payments.Value);
                return Results.Json(new PortalSessionLink($"{site}/portal/enter/{minted.Value.Token}", minted.Value.ExpiresAt), ApiJson.Options, statusCode: StatusCodes.Status201Created);
            })
            .WithTags("Portal").RequireAdmin().Produces<PortalSessionLink>(StatusCodes.Status201Created)
            .WithSummary("A link into the customer portal for one customer, as the operator's app hands it to the customer's browser: single use, valid for minutes.");
        return api;
    }

    public static IEndpointRouteBuilder MapPortal(this IEndpointRouteBuilder app)
    {
        var portal = app.MapGroup("/portal").ExcludeFromDescription().DisableAntiforgery();

        portal.MapGet("/enter/{token}", async (HttpContext http, PortalSessions sessions, string token, CancellationToken ct) =>
        {
            if (await sessions.RedeemAsync(token, ct) is not { } session)
            {
                return PageResults.Page<MessagePage>(new
                {
                    Title = "This link has expired",
                    Message = "Portal links work once and for a few minutes. Open the portal from your account again.",
                    Home = "/portal/sign-in",
                }, StatusCodes.Status410Gone);
            }

            http.Response.Cookies.Append(PortalGate.CookieName, session, SignInForms.SessionOptions(http, CookiePath));
            return Results.Redirect("/portal");
        }).AllowWithoutSession();

        portal.MapGet("/sign-in", (HttpContext http) => PageResults.Page<PortalSignInPage>(new { Csrf = SignInForms.Token(http, CookiePath) })).AllowWithoutSession();
        portal.MapPost("/sign-in", async (HttpContext http, PortalSessions sessions, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            string? email = form["email"];
            IResult Again(string error, int status) => PageResults.Page<PortalSignInPage>(new { Csrf = SignInForms.Token(http, CookiePath), Email = email, Error = error }, status);
            if (!SignInForms.Verify(http, form)) return Again("This form has expired. Sign in again.", StatusCodes.Status400BadRequest);
            var (token, locked) = await sessions.SignInAsync(email, form["password"], ct);
            if (locked is { } until) return Again($"Too many wrong passwords: this account is locked until {until.UtcDateTime:HH:mm} UTC.", StatusCodes.Status429TooManyRequests);
            if (token is null) return Again("That email and password do not match a member.", StatusCodes.Status401Unauthorized);
            return Enter(http, token);
        }).AllowWithoutSession();

        portal.MapGet("/invitations/accept", (HttpContext http, string? token) =>
            PageResults.Page<PortalSignInPage>(new { Csrf = SignInForms.Token(http, CookiePath), Invitation = token ?? "" })).AllowWithoutSession();
        portal.MapPost("/invitations/accept", async (HttpContext http, PortalSessions sessions, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            string token = form["token"].ToString();
            IResult Again(string error, int status) => PageResults.Page<PortalSignInPage>(new { Csrf = SignInForms.Token(http, CookiePath), Invitation = token, Error = error }, status);
            if (!SignInForms.Verify(http, form)) return Again("This form has expired. Open the invitation link again.", StatusCodes.Status400BadRequest);
            var joined = await sessions.AcceptInvitationAsync(token, form["name"], form["password"], ct);
            return joined.IsOk ? Enter(http, joined.Value) : Again(joined.Error.Message, joined.Error.Status);
        }).AllowWithoutSession();

        portal.MapPost("/sign-out", async (HttpContext http, PortalSessions sessions, CancellationToken ct) =>
        {
            var visitor = Me(http);
            await sessions.SignOutAsync(visitor.SessionId, ct);
            http.Response.Cookies.Delete(PortalGate.CookieName, new CookieOptions { Path = CookiePath });
            return visitor.ReturnUrl is { } back ? Onward(back, "Signed out", "You have left the portal.") : Results.Redirect(PortalGate.SignInPath);
        }).RequirePortal(PortalPermission.View);

        portal.MapGet("/", async (HttpContext http, PortalData data, string? flash, CancellationToken ct) =>
            PageResults.Page<OverviewPage>(new { Visitor = Me(http), Model = await data.OverviewAsync(Me(http).CustomerId, Flash(flash), ct) }))
            .RequirePortal(PortalPermission.View);
        portal.MapPost("/cancel", async (HttpContext http, PortalData data, InvoiceRunner runner, SubscriptionStore subscriptions, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            var reason = form["reason"].ToString();
            if (!CancelReasons.Contains(reason)) return Results.Redirect("/portal?flash=reason_needed");
            if (await data.LiveSubscriptionAsync(Me(http).CustomerId, ct) is not { } live) return Results.Redirect("/portal");
            await runner.BillDueAsync(live.Id, Actor(http), ct);
            var canceled = await subscriptions.CancelAtPeriodEndAsync(live.Id, new CancelSubscriptionRequest(CancelTiming.PeriodEnd, reason), Actor(http), ct);
            return Results.Redirect(canceled.IsOk ? "/portal?flash=canceled" : "/portal?flash=not_canceled");
        }).RequirePortal(PortalPermission.ManageBilling);

        portal.MapGet("/plan", async (HttpContext http, PortalData data, CancellationToken ct) =>
            PageResults.Page<PlanPage>(new { Visitor = Me(http), Model = await data.PlansAsync(Me(http).CustomerId, ct) }))
            .RequirePortal(PortalPermission.View);
        portal.MapPost("/plan/preview", async (HttpContext http, PortalData data, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            return PageResults.Page<PlanPage>(new { Visitor = Me(http), Model = await data.PreviewAsync(Me(http), form["plan"], Actor(http), ct) });
        }).RequirePortal(PortalPermission.ManageBilling);
        portal.MapPost("/plan/change", async (HttpContext http, PortalData data, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            var changed = await data.ChangeAsync(Me(http), form["plan"], Actor(http), ct);
            return changed.IsOk
                ? Results.Redirect("/portal/invoices?flash=changed")
                : PageResults.Page<PlanPage>(new { Visitor = Me(http), Model = (await data.PlansAsync(Me(http).CustomerId, ct)) with { Error = changed.Error.Message } }, changed.Error.Status);
        }).RequirePortal(PortalPermission.ManageBilling);
        portal.MapPost("/payment-method", async (HttpContext http, Payments.Accounts.PaymentAccountService accounts, IOptions<Payments.PaymentsOptions> payments, CancellationToken ct) =>
        {
            var link = await accounts.PortalAsync(Me(http).CustomerId, new Payments.Accounts.PaymentPortalRequest($"{Site(http, payments.Value)}/portal"), ct);
            return link.IsOk ? Onward(link.Value.Url, "Change your payment method", $"Your payment method is kept by {link.Value.Provider}; its page changes it.")
                : Results.Redirect("/portal?flash=no_payment_method");
        }).RequirePortal(PortalPermission.ManageBilling);

        portal.MapGet("/invoices", async (HttpContext http, InvoiceStore invoices, string? flash, CancellationToken ct) =>
        {
            var listed = await invoices.ListAsync(Me(http).CustomerId, null, null, new PageRequest(100, null), finalizedOnly: true, ct);
            return PageResults.Page<InvoicesPage>(new { Visitor = Me(http), Model = new InvoicesModel(listed.Data, Flash(flash)) });
        }).RequirePortal(PortalPermission.View);
        portal.MapGet("/invoices/{id}", async (HttpContext http, InvoicePages pages, string id, CancellationToken ct) =>
        {
            if (await pages.RenderAsync(Me(http).CustomerId, id, ct) is not { } html) return NotFound("invoice", id);
            // The invoice is one self-contained document with its styles inline; it loads nothing and runs nothing.
            http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'";
            return Results.Content(html, "text/html; charset=utf-8");
        }).RequirePortal(PortalPermission.View);
        portal.MapGet("/invoices/{id}/pdf", async (HttpContext http, InvoicePages pages, InvoicePdf pdf, string id, CancellationToken ct) =>
        {
            if (await pages.RenderAsync(Me(http).CustomerId, id, ct) is not { } html) return NotFound("invoice", id);
            return await pdf.PrintAsync(html, ct) is { } document
                ? Results.File(document, "application/pdf", $"{id}.pdf")
                : PageResults.Page<MessagePage>(new { Title = "No PDF here", Message = "This server cannot print PDFs; the invoice's page prints from the browser.", Home = $"/portal/invoices/{id}" }, StatusCodes.Status503ServiceUnavailable);
        }).RequirePortal(PortalPermission.View);

        portal.MapGet("/keys", async (HttpContext http, PortalData data, string? flash, CancellationToken ct) =>
            PageResults.Page<KeysPage>(new { Visitor = Me(http), Model = new KeysModel(await data.KeysAsync(Me(http).CustomerId, ct), null, Flash(flash)) }))
            .RequirePortal(PortalPermission.View);
        portal.MapPost("/keys", async (HttpContext http, PortalData data, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            var created = await data.CreateKeyAsync(Me(http), form["name"], Actor(http), ct);
            var keys = await data.KeysAsync(Me(http).CustomerId, ct);
            return created.IsOk
                ? PageResults.Page<KeysPage>(new { Visitor = Me(http), Model = new KeysModel(keys, created.Value, null) })
                : PageResults.Page<KeysPage>(new { Visitor = Me(http), Model = new KeysModel(keys, null, created.Error.Message) }, created.Error.Status);
        }).RequirePortal(PortalPermission.ManageKeys);
        portal.MapPost("/keys/{id}/rotate", async (HttpContext http, PortalData data, string id, CancellationToken ct) =>
        {
            var rotated = await data.RotateKeyAsync(Me(http), id, Actor(http), ct);
            if (!rotated.IsOk) return rotated.Error.Status == StatusCodes.Status404NotFound ? NotFound("key", id) : Results.Redirect("/portal/keys?flash=not_rotated");
            return PageResults.Page<KeysPage>(new { Visitor = Me(http), Model = new KeysModel(await data.KeysAsync(Me(http).CustomerId, ct), rotated.Value, null) });
        }).RequirePortal(PortalPermission.ManageKeys);
        portal.MapPost("/keys/{id}/revoke", async (HttpContext http, PortalData data, string id, CancellationToken ct) =>
        {
            var revoked = await data.RevokeKeyAsync(Me(http), id, Actor(http), ct);
            return revoked.IsOk ? Results.Redirect("/portal/keys?flash=revoked") : NotFound("key", id);
        }).RequirePortal(PortalPermission.ManageKeys);

        portal.MapGet("/team", async (HttpContext http, PortalData data, CancellationToken ct) =>
            PageResults.Page<TeamPage>(new { Visitor = Me(http), Model = await data.TeamAsync(Me(http).CustomerId, null, null, ct) }))
            .RequirePortal(PortalPermission.View);
        portal.MapPost("/team/invitations", async (HttpContext http, PortalData data, InvitationStore invitations, IOptions<Payments.PaymentsOptions> payments, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            var role = Enum.TryParse<Role>(form["role"], ignoreCase: true, out var chosen) && Enum.IsDefined(chosen) && !int.TryParse(form["role"], out _) ? chosen : Role.Member;
            if (role == Role.Owner && Me(http).Role != Role.Owner) return PageResults.Page<TeamPage>(new
            {
                Visitor = Me(http), Model = await data.TeamAsync(Me(http).CustomerId, null, "Only an owner may invite another owner.", ct),
            }, StatusCodes.Status403Forbidden);
            var invited = await invitations.CreateAsync(Me(http).CustomerId, new InviteRequest(form["email"], role), Actor(http), ct);
            var link = invited.IsOk ? $"{Site(http, payments.Value)}/portal/invitations/accept?token={Uri.EscapeDataString(invited.Value.Token!)}" : null;
            return PageResults.Page<TeamPage>(new { Visitor = Me(http), Model = await data.TeamAsync(Me(http).CustomerId, link, invited.IsOk ? null : invited.Error.Message, ct) },
                invited.IsOk ? StatusCodes.Status200OK : invited.Error.Status);
        }).RequirePortal(PortalPermission.ManageTeam);
        return app;
    }

    static readonly HashSet<string> CancelReasons = ["too_expensive", "missing_features", "switched_service", "unused", "other"];

    static PortalVisitor Me(HttpContext http) => http.Features.GetRequiredFeature<PortalVisitor>();

    /// <summary>The audit log's actor for what happens in the portal: the member, or the customer through its link.</summary>
    static Actor Actor(HttpContext http) => Me(http) is { MemberId: { } member } ? new Actor("member", member, null) : new Actor("portal", Me(http).CustomerId, null);

    static IResult Enter(HttpContext http, string session)
    {
        http.Response.Cookies.Append(PortalGate.CookieName, session, SignInForms.SessionOptions(http, CookiePath));
        SignInForms.Forget(http, CookiePath);
        return Results.Redirect("/portal");
    }

    /// <summary>Where browsers reach this server: <c>Payments:PublicUrl</c> when set (behind a proxy), else the request's own scheme and host.</summary>
    static string Site(HttpContext http, Payments.PaymentsOptions payments) =>
        payments.PublicUrl is { Length: > 0 } configured ? configured.TrimEnd('/') : $"{http.Request.Scheme}://{http.Request.Host}";

    /// <summary>
    /// A page with the way on to another site, after a form post: the pages' policy lets forms post only here
    /// (<c>form-action 'self'</c>, which browsers apply to a post's redirects too), and a link may lead anywhere.
    /// </summary>
    static IResult Onward(string url, string title, string message) =>
        PageResults.Page<OnwardPage>(new { Title = title, Message = message, Url = url });

    static IResult NotFound(string what, string id) =>
        PageResults.Page<MessagePage>(new { Title = $"No such {what}", Message = $"There is no {what} {id} of yours.", Home = "/portal" }, StatusCodes.Status404NotFound);

    /// <summary>What an action's redirect says happened, from a fixed list: a page never shows text from its address.</summary>
    static string? Flash(string? code) => code switch
    {
        "changed" => "Your plan has changed; the invoice for the rest of this period is below.",
        "canceled" => "Your subscription ends at the end of this period. You keep everything until then.",
        "not_canceled" => "Your subscription could not be canceled now.",
        "reason_needed" => "Choose why you are leaving, then cancel.",
        "revoked" => "The key is revoked: requests with it are refused from now on.",
        "not_rotated" => "That key cannot be rotated now.",
        "no_payment_method" => "Your payment method is managed where you paid; this account has no provider page.",
        _ => null,
    };
}
