using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Components;

namespace Tollgate.Web;

/// <summary>Pages are Razor components rendered on the server, one per answer; this is how endpoints answer with one.</summary>
public static class PageResults
{
    /// <summary>The page <typeparamref name="TPage"/> with its parameters (an anonymous object: <c>new { Model = … }</c>).</summary>
    public static RazorComponentResult<TPage> Page<TPage>(object parameters, int status = StatusCodes.Status200OK) where TPage : IComponent =>
        new(parameters) { StatusCode = status };

    /// <summary>A plain page saying <paramref name="message"/>, for refusals made before any endpoint runs.</summary>
    public static Task WriteMessageAsync(HttpContext context, string title, string message, string home = "/dashboard") =>
        Page<MessagePage>(new { Title = title, Message = message, Home = home }, context.Response.StatusCode).ExecuteAsync(context);

    /// <summary>
    /// What every page answers with: a content security policy that lets it load only what this server serves (no
    /// inline script or style, no frames), and no sniffing, no referrer beyond this origin, nothing cached by proxies.
    /// </summary>
    public static IApplicationBuilder UsePageHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            if (!headers.ContainsKey("Cache-Control")) headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        await next(context);
    });
}
