using Tollgate.Web;

namespace Tollgate.Operators;

/// <summary>The permission a dashboard page or action declares; one each, or on its group.</summary>
public sealed record RequiredOperatorPermission(OperatorPermission Permission);

/// <summary>Marks the pages a signed-out browser may open: the sign-in form and its post.</summary>
public sealed record SignedOutAllowed
{
    public static SignedOutAllowed Instance { get; } = new();
}

public static class OperatorAccess
{
    public static TBuilder RequireOperator<TBuilder>(this TBuilder builder, OperatorPermission permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredOperatorPermission(permission));

    public static TBuilder AllowSignedOut<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(SignedOutAllowed.Instance);
}

/// <summary>
/// Guards every page and action under <c>/dashboard</c>: the session cookie must name a live session (else the sign-in
/// page, with the way back), every change must carry the session's anti-forgery token (<see cref="Web.FormTokens"/>),
/// and the operator's role must allow the permission the endpoint declares (<see cref="OperatorRoles"/>). An endpoint
/// that declares none is refused to everyone: closed by default, as under <c>/api</c>.
/// </summary>
public sealed class OperatorGate(RequestDelegate next, OperatorStore store)
{
    public const string CookieName = "tollgate_operator";
    public const string SignInPath = "/dashboard/sign-in";

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || endpoint.Metadata.GetMetadata<SignedOutAllowed>() is not null)
        {
            await next(context);
            return;
        }

        var token = context.Request.Cookies[CookieName];
        var signedIn = await store.AuthenticateAsync(token, context.RequestAborted);
        if (signedIn is null)
        {
            var back = context.Request.Path + context.Request.QueryString;
            var signIn = $"{SignInPath}?return_to={Uri.EscapeDataString(back)}";
            if (context.Request.Headers.ContainsKey("HX-Request"))
            {
                context.Response.Headers["HX-Redirect"] = signIn;
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            }
            else if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.Redirect(signIn);
            }
            else
            {
                await Refuse(context, StatusCodes.Status401Unauthorized, "Your session has ended. Sign in again, then repeat what you did.");
            }

            return;
        }

        if (!IsSafe(context.Request.Method) && !await FormTokens.CarriedAsync(context, token!))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "This form has expired or did not come from this dashboard. Reload the page and try again.");
            return;
        }

        var required = endpoint.Metadata.GetMetadata<RequiredOperatorPermission>();
        if (required is null || !signedIn.Can(required.Permission))
        {
            await Refuse(context, StatusCodes.Status403Forbidden,
                required is null ? "This page declares no permission, so no one may open it."
                : $"Your role, {signedIn.User.Role.Name()}, may not do this.");
            return;
        }

        context.Features.Set(signedIn);
        await next(context);
    }

    static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    static async Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        await Web.PageResults.WriteMessageAsync(context, status == StatusCodes.Status401Unauthorized ? "Signed out" : "Not allowed", message);
    }
}
