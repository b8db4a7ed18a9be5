using Tollgate.ApiKeys;
using Tollgate.Entitlements.Access;
using Tollgate.Gateway.Protocols;

namespace Tollgate.Gateway;

/// <summary>
/// Who a gateway request is for: the key that sent it and the customer it is billed to. A customer key brings its
/// customer; an admin (operator) key may name one with <c>x-tollgate-customer</c> (Tollgate id or external id) to call on
/// its behalf, or name none for the operator's own traffic.
/// </summary>
public sealed record GatewayCaller(ApiKeyEntry Key, CustomerAccess? Customer)
{
    public const string CustomerHeader = "x-tollgate-customer";
    public const string EndUserHeader = "x-tollgate-end-user";

    public bool IsTestMode => Key.Mode == KeyMode.Test;

    public string Mode => IsTestMode ? "test" : "live";

    /// <summary>Whether the caller's plan includes a model that needs <paramref name="feature"/>; the operator's own calls always do.</summary>
    public bool MayUse(string? feature) => feature is null || Customer is null || Customer.Enables(feature);
}

public sealed class GatewayAuthenticator(ApiKeyVerifier verifier, KeyUsageRecorder usage, CustomerAccessCache customers)
{
    public async ValueTask<(GatewayCaller? Caller, GatewayError? Error)> AuthenticateAsync(HttpContext context)
    {
        var verification = await verifier.VerifyAsync(ApiKeyAuthentication.PresentedSecret(context.Request.Headers), context.RequestAborted);
        if (verification.Verdict != KeyVerdict.Valid)
        {
            var problem = ApiKeyAuthentication.Describe(verification.Verdict);
            return (null, new GatewayError(401, problem.Code, problem.Message));
        }

        var key = verification.Key!;
        usage.Used(key.Id);
        var named = context.Request.Headers[GatewayCaller.CustomerHeader].ToString();
        if (key.Kind == KeyKind.Customer)
        {
            if (!key.HasScope(Scopes.Gateway)) return (null, new GatewayError(403, "missing_scope", "This key lacks the 'gateway' scope."));
            if (named.Length > 0 && named != key.CustomerId)
            {
                return (null, new GatewayError(403, "customer_mismatch", $"A customer key can only call for its own customer; drop the {GatewayCaller.CustomerHeader} header."));
            }

            var own = await customers.GetAsync(key.CustomerId!, context.RequestAborted);
            return own is null
                ? (null, new GatewayError(401, "customer_deleted", "The customer of this key no longer exists."))
                : (new GatewayCaller(key, own), null);
        }

        if (!key.HasScope(Scopes.Admin)) return (null, new GatewayError(403, "missing_scope", "Operator keys need the 'admin' scope to call models."));
        if (named.Length == 0) return (new GatewayCaller(key, null), null);
        var customer = await customers.FindAsync(named, context.RequestAborted);
        return customer is null
            ? (null, new GatewayError(404, "customer_not_found", $"No customer has id or external id '{named}'.", GatewayCaller.CustomerHeader))
            : (new GatewayCaller(key, customer), null);
    }
}
