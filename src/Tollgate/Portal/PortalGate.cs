using Tollgate.Web;

namespace Tollgate.Portal;

/// <summary>The permission a portal page or action declares.</summary>
public sealed record RequiredPortalPermission(PortalPermission Permission);

/// <summary>Marks the portal's pages a browser without a session may open: entering by a link, signing in, accepting an invitation.</summary>
public sealed record PortalEntrance
{
    public static PortalEntrance Instance { get; } = new();
}

public static class PortalAccess
{
    public static TBuilder RequirePortal<TBuilder>(this TBuilder builder, PortalPermission permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPortalPermission(permission));

    public static TBuilder AllowWithoutSession<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(PortalEntrance.Instance);
}

/// <summary>
/// Guards every page and action under <c>/portal</c> as <see cref="Operators.OperatorGate"/> guards the dashboard: a
/// live session (else the sign-in page), the session's anti-forgery token on every change, and the member's role
/// allowing the permission the endpoint declares (<see cref="PortalRoles"/>); one that declares none is refused.
/// Every page reads the customer from the session, never from the address, so no one sees another customer's data.
/// </summary>
public sealed class PortalGate(RequestDelegate next, PortalSessions sessions)
{
    public const string CookieName = "tollgate_portal";
    public const string SignInPath = "/portal/sign-in";

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || endpoint.Metadata.GetMetadata<PortalEntrance>() is not null)
        {
            await next(context);
            return;
        }

        var token = context.Request.Cookies[CookieName];
        var visitor = await sessions.AuthenticateAsync(token, context.RequestAborted);
        if (visitor is null)
        {
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.Redirect(SignInPath);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await PageResults.WriteMessageAsync(context, "Signed out", "Your portal session has ended. Open the portal from your account again.", SignInPath);
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !await FormTokens.CarriedAsync(context, token!))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await PageResults.WriteMessageAsync(context, "Not allowed", "This form has expired or did not come from this portal. Reload the page and try again.", "/portal");
            return;
        }

        var required = endpoint.Metadata.GetMetadata<RequiredPortalPermission>();
        if (required is null || !visitor.Can(required.Permission))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await PageResults.WriteMessageAsync(context, "Not allowed",
                required is null ? "This page declares no permission, so no one may open it." : $"Your role in {visitor.CustomerName}'s team, {Common.EnumText.Snake(visitor.Role)}, may not do this.", "/portal");
            return;
        }

        context.Features.Set(visitor);
        await next(context);
    }
}
