using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Tollgate.Billing.Invoices;
using Tollgate.Common;
using Tollgate.Dashboard.Account;
using Tollgate.Dashboard.Audit;
using Tollgate.Dashboard.Invoices;
using Tollgate.Dashboard.Customers;
using Tollgate.Dashboard.Home;
using Tollgate.Dashboard.SignIn;
using Tollgate.Operators;
using Tollgate.Web;

namespace Tollgate.Dashboard;

/// <summary>
/// The operator dashboard's pages and actions under <c>/dashboard</c>, each declaring the permission it needs
/// (<see cref="OperatorGate"/> enforces it). Pages are rendered on the server; actions are form posts that redirect
/// back to a page (post, redirect, get), so a reload never repeats one.
/// </summary>
public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var dashboard = app.MapGroup("/dashboard").ExcludeFromDescription().DisableAntiforgery();

        dashboard.MapGet("/sign-in", (HttpContext http, [FromQuery(Name = "return_to")] string? returnTo) =>
            PageResults.Page<SignInPage>(new { Csrf = SignInForms.Token(http, "/dashboard"), ReturnTo = LocalOrHome(returnTo) })).AllowSignedOut();
        dashboard.MapPost("/sign-in", SignInAsync).AllowSignedOut();
        dashboard.MapPost("/sign-out", async (HttpContext http, OperatorStore store, CancellationToken ct) =>
        {
            var signedIn = http.Features.GetRequiredFeature<SignedInOperator>();
            await store.SignOutAsync(signedIn.User, signedIn.SessionId, null, ct);
            http.Response.Cookies.Delete(OperatorGate.CookieName, new CookieOptions { Path = "/dashboard" });
            return Results.Redirect(OperatorGate.SignInPath, preserveMethod: false);
        }).RequireOperator(OperatorPermission.View);

        dashboard.MapGet("/", async (HttpContext http, DashboardHome home, string? currency, CancellationToken ct) =>
            PageResults.Page<HomePage>(new { Operator = Me(http), Model = await home.BuildAsync(currency, ct) })).RequireOperator(OperatorPermission.View);

        dashboard.MapGet("/customers", async (HttpContext http, CustomerDirectory directory, string? q, string? plan, string? status, string? country, string? provider, string? sort, int? page, CancellationToken ct) =>
        {
            var query = new CustomerQuery(q, Blank(plan), CustomerQuery.Statuses.Contains(status) ? status : null, Blank(country), Blank(provider),
                sort is not null && CustomerQuery.Sorts.Contains(sort) ? sort : "newest", Math.Clamp(page ?? 1, 1, 100_000));
            var listed = await directory.ListAsync(query, ct);
            if (!http.Request.Headers.ContainsKey("HX-Request")) return PageResults.Page<CustomersPage>(new { Operator = Me(http), Query = query, Page = listed });
            // Only the results change; the address follows the search, so it can be shared, reloaded and gone back to.
            http.Response.Headers["HX-Push-Url"] = "/dashboard/customers" + query.ToQueryString(query.Page);
            http.Response.Headers.Vary = "HX-Request";
            return (IResult)PageResults.Page<CustomerRows>(new { Query = query, Page = listed });
        }).RequireOperator(OperatorPermission.View);

        dashboard.MapGet("/customers/{id}", async (HttpContext http, CustomerStory story, string id, string? flash, CancellationToken ct) =>
            await story.BuildAsync(id, Flash(flash), ct) is { } model
                ? (IResult)PageResults.Page<CustomerPage>(new { Operator = Me(http), Model = model })
                : PageResults.Page<MessagePage>(new { Title = "No such customer", Message = $"There is no customer {id}." }, StatusCodes.Status404NotFound))
            .RequireOperator(OperatorPermission.View);

        dashboard.MapPost("/invoices/{id}/void", async (HttpContext http, InvoiceStore invoices, string id, CancellationToken ct) =>
        {
            var voided = await invoices.VoidAsync(id, OperatorStore.Of(Me(http).User), ct);
            if (!voided.IsOk)
            {
                return voided.Error.Status == StatusCodes.Status404NotFound
                    ? PageResults.Page<MessagePage>(new { Title = "No such invoice", Message = voided.Error.Message }, StatusCodes.Status404NotFound)
                    : Back(await invoices.GetAsync(id, ct) is { } found ? found.CustomerId : null, "void_refused");
            }

            return Back(voided.Value.CustomerId, "voided");
        }).RequireOperator(OperatorPermission.ManageBilling);

        dashboard.MapGet("/invoices", async (HttpContext http, InvoiceStore invoices, string? status, [FromQuery(Name = "customer_id")] string? customerId, string? cursor, string? flash, CancellationToken ct) =>
        {
            InvoiceStatus? only = status is { Length: > 0 } && Enum.TryParse<InvoiceStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(status, out _) ? parsed : null;
            var page = await invoices.ListAsync(Blank(customerId), null, only, new PageRequest(50, Blank(cursor)), finalizedOnly: false, ct);
            return PageResults.Page<InvoicesPage>(new { Operator = Me(http), Invoices = page, Status = only, CustomerId = Blank(customerId), Flash = Flash(flash) });
        }).RequireOperator(OperatorPermission.View);
        dashboard.MapPost("/invoices/{id}/finalize", async (HttpContext http, InvoiceStore invoices, string id, CancellationToken ct) =>
        {
            var finalized = await invoices.FinalizeAsync(id, OperatorStore.Of(Me(http).User), ct);
            if (!finalized.IsOk && finalized.Error.Status == StatusCodes.Status404NotFound)
                return PageResults.Page<MessagePage>(new { Title = "No such invoice", Message = finalized.Error.Message }, StatusCodes.Status404NotFound);
            return Results.Redirect($"/dashboard/invoices?flash={(finalized.IsOk ? "finalized" : "finalize_refused")}");
        }).RequireOperator(OperatorPermission.ManageBilling);

        dashboard.MapGet("/audit", async (HttpContext http, Tollgate.Audit.AuditLog log, string? action, [FromQuery(Name = "resource_id")] string? resourceId,
            [FromQuery(Name = "customer_id")] string? customerId, [FromQuery(Name = "actor_id")] string? actorId, string? cursor, CancellationToken ct) =>
        {
            var query = new Tollgate.Audit.AuditQuery(Blank(resourceId), null, Blank(actorId), Blank(action), Blank(customerId));
            return PageResults.Page<AuditPage>(new { Operator = Me(http), Entries = await log.ListAsync(query, new PageRequest(50, Blank(cursor)), ct), Query = query });
        }).RequireOperator(OperatorPermission.View);

        dashboard.MapGet("/sessions", async (HttpContext http, OperatorStore store, string? flash, CancellationToken ct) =>
            PageResults.Page<SessionsPage>(new { Operator = Me(http), Sessions = await store.SessionsAsync(Me(http).User.Id, ct), Flash = Flash(flash) }))
            .RequireOperator(OperatorPermission.View);
        dashboard.MapPost("/sessions/{id}/end", async (HttpContext http, OperatorStore store, string id, CancellationToken ct) =>
        {
            await store.SignOutAsync(Me(http).User, id, null, ct);
            return Results.Redirect("/dashboard/sessions?flash=ended");
        }).RequireOperator(OperatorPermission.View);
        dashboard.MapPost("/sessions/end-others", async (HttpContext http, OperatorStore store, CancellationToken ct) =>
        {
            await store.SignOutAsync(Me(http).User, null, Me(http).SessionId, ct);
            return Results.Redirect("/dashboard/sessions?flash=ended_others");
        }).RequireOperator(OperatorPermission.View);
        return app;
    }

    static SignedInOperator Me(HttpContext http) => http.Features.GetRequiredFeature<SignedInOperator>();

    static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>What an action's redirect says happened, from a fixed list: a page never shows text from its address.</summary>
    static string? Flash(string? code) => code switch
    {
        "voided" => "The invoice is void.",
        "finalized" => "The invoice is finalized: it has its number and is open for payment.",
        "finalize_refused" => "That invoice cannot be finalized now: only drafts can.",
        "void_refused" => "That invoice cannot be voided now: only open and uncollectible invoices can.",
        "ended" => "That session has ended.",
        "ended_others" => "Every other session has ended.",
        _ => null,
    };

    static IResult Back(string? customerId, string flash) =>
        Results.Redirect(customerId is null ? "/dashboard/customers" : $"/dashboard/customers/{Uri.EscapeDataString(customerId)}?flash={flash}");

    static async Task<IResult> SignInAsync(HttpContext http, OperatorStore store, CancellationToken ct)
    {
        var form = await http.Request.ReadFormAsync(ct);
        var returnTo = LocalOrHome(form["return_to"]);
        string? email = form["email"];
        IResult Again(string error, int status) => PageResults.Page<SignInPage>(new { Csrf = SignInForms.Token(http, "/dashboard"), ReturnTo = returnTo, Email = email, Error = error }, status);
        if (!SignInForms.Verify(http, form)) return Again("This form has expired. Sign in again.", StatusCodes.Status400BadRequest);

        var outcome = await store.SignInAsync(email, form["password"], http.Request.Headers.UserAgent, http.Connection.RemoteIpAddress?.ToString(), ct);
        if (outcome.LockedUntil is { } until)
            return Again($"Too many wrong passwords: this account is locked until {until.UtcDateTime:HH:mm} UTC.", StatusCodes.Status429TooManyRequests);
        if (!outcome.Succeeded) return Again("That email and password do not match an operator.", StatusCodes.Status401Unauthorized);

        http.Response.Cookies.Append(OperatorGate.CookieName, outcome.Token!, SignInForms.SessionOptions(http, "/dashboard"));
        SignInForms.Forget(http, "/dashboard");
        return Results.Redirect(returnTo);
    }

    /// <summary>Where to go after signing in: a dashboard page of this server, never another site.</summary>
    static string LocalOrHome(string? returnTo) =>
        returnTo is { Length: > 0 and < 2000 } && returnTo.StartsWith("/dashboard", StringComparison.Ordinal) && !returnTo.StartsWith("//", StringComparison.Ordinal)
            && !returnTo.Contains('\\') ? returnTo : "/dashboard";
}
