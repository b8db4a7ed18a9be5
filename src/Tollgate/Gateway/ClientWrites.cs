using Tollgate.Gateway.Pricing;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway;

/// <summary>What every answer writes to its client: the routing headers, and bytes that stop (not fail) when the client has gone.</summary>
static class ClientWrites
{
    public static void Headers(HttpResponse response, Deployment deployment, Cost? cost)
    {
        response.Headers["x-tollgate-provider"] = deployment.Provider.Name;
        response.Headers["x-tollgate-model"] = deployment.Model;
        if (deployment.Provider.Kind == ProviderKind.Sandbox) response.Headers["x-tollgate-sandbox"] = "true";
        if (cost is { } c) response.Headers[GatewayHandler.CostHeader] = c.ChargeDollars;
    }

    /// <summary>Writes to the client; false when the client has gone, which ends writing but not billing.</summary>
    public static async ValueTask<bool> WriteAsync(HttpContext context, ReadOnlyMemory<byte> data, bool flush = false)
    {
        try
        {
            await context.Response.Body.WriteAsync(data, context.RequestAborted);
            if (flush) await context.Response.Body.FlushAsync(context.RequestAborted);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }
}
